package server

import (
	"fmt"
	"strings"
	"testing"
)

func TestClusterProblem(t *testing.T) {
	const defaultPath = "/clickhouse/tables/{uuid}/{shard}"
	replicated := Options{Cluster: "main"}
	sharded := Options{Cluster: "main", ClusterMode: ClusterSharded}
	for _, tc := range []struct {
		name string
		opts Options
		f    clusterFacts
		want string // "" means accepted
	}{
		{"replicated, one shard of three", replicated, clusterFacts{nodes: 3, shards: 1, replicaPath: defaultPath}, ""},
		{"sharded, two shards of two", sharded, clusterFacts{nodes: 4, shards: 2, replicaPath: defaultPath}, ""},
		{"sharded on one shard", sharded, clusterFacts{nodes: 2, shards: 1, replicaPath: defaultPath}, ""},
		{"unknown cluster", replicated, clusterFacts{replicaPath: defaultPath}, `does not know cluster "main"`},
		{"replicated on two shards", replicated, clusterFacts{nodes: 4, shards: 2, replicaPath: defaultPath}, `cluster "main" has 2 shards, but the target's cluster_mode is replicated`},
		{"path without uuid", replicated, clusterFacts{nodes: 2, shards: 1, replicaPath: "/clickhouse/tables/{shard}/{database}/{table}"}, "needs a path with {uuid}"},
	} {
		err := clusterProblem(tc.opts, "h:9000", tc.f)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestClusterCapabilities(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{}, "{Kind:clickhouse ReadsLocalFiles:false ExchangeTables:true Cluster: Replicated:false Sharded:false ShardingKey: ReplicatedDatabase:false}"},
		{Options{Cluster: "main"}, "{Kind:clickhouse ReadsLocalFiles:false ExchangeTables:true Cluster:main Replicated:true Sharded:false ShardingKey: ReplicatedDatabase:false}"},
		{Options{Cluster: "main", ClusterMode: ClusterSharded}, "{Kind:clickhouse ReadsLocalFiles:false ExchangeTables:true Cluster:main Replicated:true Sharded:true ShardingKey:rand() ReplicatedDatabase:false}"},
		{Options{Cluster: "main", ClusterMode: ClusterSharded, ShardingKey: "user_id"}, "{Kind:clickhouse ReadsLocalFiles:false ExchangeTables:true Cluster:main Replicated:true Sharded:true ShardingKey:user_id ReplicatedDatabase:false}"},
		{Options{Cluster: "main", ReplicatedDatabase: true}, "{Kind:clickhouse ReadsLocalFiles:false ExchangeTables:true Cluster:main Replicated:true Sharded:false ShardingKey: ReplicatedDatabase:true}"},
	} {
		if got := fmt.Sprintf("%+v", (&Warehouse{opts: tc.opts}).Capabilities()); got != tc.want {
			t.Errorf("%+v: got %s, want %s", tc.opts, got, tc.want)
		}
	}
}
