package project

import (
	"strings"
	"testing"
)

func TestClusterTargets(t *testing.T) {
	resolve := func(tg Target) (Target, error) {
		_, got, err := (&File{Name: "p", Targets: map[string]Target{"prod": tg}}).ResolveTarget("prod", nil)
		return got, err
	}
	for _, tc := range []struct {
		name           string
		in             Target
		mode, dbEngine string
		shardingKey    string
	}{
		{"one node", Target{Type: "clickhouse"}, "", "", ""},
		{"cluster defaults to replicated", Target{Type: "clickhouse", Cluster: "main"}, "replicated", "atomic", ""},
		{"sharded with a key", Target{Type: "clickhouse", Cluster: "main", ClusterMode: "Sharded", ShardingKey: " cityHash64(user_id) "}, "sharded", "atomic", "cityHash64(user_id)"},
		{"replicated database", Target{Type: "clickhouse", Cluster: "main", DatabaseEngine: "replicated"}, "replicated", "replicated", ""},
	} {
		got, err := resolve(tc.in)
		if err != nil || got.ClusterMode != tc.mode || got.DatabaseEngine != tc.dbEngine || got.ShardingKey != tc.shardingKey {
			t.Errorf("%s: got mode %q, database engine %q, key %q, %v", tc.name, got.ClusterMode, got.DatabaseEngine, got.ShardingKey, err)
		}
	}
	for _, tc := range []struct {
		in   Target
		want string
	}{
		{Target{Type: "chdb", Cluster: "main"}, "target prod: cluster: needs type: clickhouse (the embedded chdb engine is one node)"},
		{Target{Type: "clickhouse", ClusterMode: "sharded"}, "target prod: cluster_mode needs cluster:"},
		{Target{Type: "clickhouse", ShardingKey: "rand()"}, "target prod: sharding_key needs cluster:"},
		{Target{Type: "clickhouse", DatabaseEngine: "replicated"}, "target prod: database_engine needs cluster:"},
		{Target{Type: "clickhouse", Cluster: "main", ClusterMode: "mirrored"}, `unknown cluster_mode "mirrored" (replicated or sharded)`},
		{Target{Type: "clickhouse", Cluster: "main", DatabaseEngine: "lazy"}, `unknown database_engine "lazy" (atomic or replicated)`},
		{Target{Type: "clickhouse", Cluster: "main", ShardingKey: "rand()"}, "sharding_key needs cluster_mode: sharded"},
		{Target{Type: "clickhouse", Cluster: "main", ClusterMode: "sharded", DatabaseEngine: "replicated"}, "database_engine: replicated works with cluster_mode: replicated only"},
	} {
		if _, err := resolve(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "project.yml: ") {
			t.Errorf("%+v: got %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}
