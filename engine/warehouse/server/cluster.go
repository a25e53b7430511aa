package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// clusterFacts are what the server says about the declared cluster.
type clusterFacts struct {
	nodes, shards int
	// replicaPath is the server setting default_replica_path, where Replicated tables created
	// without arguments keep their Keeper metadata.
	replicaPath string
}

// checkCluster reads the facts a cluster layout depends on from the connected server; see
// clusterProblem for what is refused and why.
func (w *Warehouse) checkCluster(ctx context.Context) error {
	if w.opts.Cluster == "" {
		return nil
	}
	res, err := w.Query(ctx, "SELECT count(), uniqExact(shard_num) FROM system.clusters WHERE cluster = "+quoteString(w.opts.Cluster))
	if err != nil {
		return fmt.Errorf("clickhouse open: read cluster %s: %w", w.opts.Cluster, err)
	}
	var f clusterFacts
	if len(res.Rows) == 1 {
		f.nodes, _ = strconv.Atoi(res.String(0, 0))
		f.shards, _ = strconv.Atoi(res.String(0, 1))
	}
	res, err = w.Query(ctx, "SELECT value FROM system.server_settings WHERE name = 'default_replica_path'")
	if err != nil {
		return fmt.Errorf("clickhouse open: read default_replica_path: %w", err)
	}
	if len(res.Rows) == 1 {
		f.replicaPath = res.String(0, 0)
	}
	return clusterProblem(w.opts, w.addr, f)
}

// clusterProblem refuses a declared layout that cannot give every node the right rows:
//   - a cluster the server does not know (ON CLUSTER would fail on the first statement);
//   - cluster_mode replicated on a cluster with several shards: each table would be whole on
//     the shard that received the INSERT and empty on the others;
//   - a default_replica_path without {uuid}: dwm creates tables without Keeper arguments and
//     builds them under temporary names, so each table needs a path that follows the table
//     (ClickHouse's default '/clickhouse/tables/{uuid}/{shard}' does).
func clusterProblem(opts Options, addr string, f clusterFacts) error {
	c := opts.Cluster
	switch {
	case f.nodes == 0:
		return fmt.Errorf("clickhouse open: the server at %s does not know cluster %q (system.clusters has no such cluster): check the target's cluster: and the servers' remote_servers", addr, c)
	case f.shards > 1 && opts.ClusterMode != ClusterSharded:
		return fmt.Errorf("clickhouse open: cluster %q has %d shards, but the target's cluster_mode is %s, which keeps every table whole on each node of one shard: set cluster_mode: %s", c, f.shards, ClusterReplicated, ClusterSharded)
	case !strings.Contains(f.replicaPath, "{uuid}"):
		return fmt.Errorf("clickhouse open: the server's default_replica_path is %q; dwm creates Replicated tables without arguments and swaps them in under new names, which needs a path with {uuid} (ClickHouse's default is '/clickhouse/tables/{uuid}/{shard}')", f.replicaPath)
	}
	return nil
}
