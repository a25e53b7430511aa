package project

import (
	"fmt"
	"strings"
)

// Values of Target.ClusterMode.
const (
	// ClusterReplicated is one shard whose nodes are all replicas: every table is whole on every
	// node. The default when `cluster:` is set.
	ClusterReplicated = "replicated"
	// ClusterSharded spreads each table over the cluster's shards: local tables `<name>_local`
	// (replicated within their shard) under a Distributed table `<name>`.
	ClusterSharded = "sharded"
)

// Values of Target.DatabaseEngine.
const (
	DatabaseAtomic     = "atomic"
	DatabaseReplicated = "replicated"
)

// checkCluster validates the cluster settings of a resolved target and fills their defaults, so
// that a target either describes one node or one of the layouts docs/targets.md explains.
func checkCluster(t *Target) error {
	t.ClusterMode = strings.ToLower(strings.TrimSpace(t.ClusterMode))
	t.DatabaseEngine = strings.ToLower(strings.TrimSpace(t.DatabaseEngine))
	t.ShardingKey = strings.TrimSpace(t.ShardingKey)
	if t.Cluster == "" {
		for _, set := range []struct{ key, value string }{
			{"cluster_mode", t.ClusterMode}, {"sharding_key", t.ShardingKey}, {"database_engine", t.DatabaseEngine},
		} {
			if set.value != "" {
				return fmt.Errorf("%s needs cluster: (the name of the cluster in the servers' remote_servers)", set.key)
			}
		}
		return nil
	}
	if t.Type != "clickhouse" {
		return fmt.Errorf("cluster: needs type: clickhouse (the embedded %s engine is one node)", t.Type)
	}
	switch t.ClusterMode {
	case "":
		t.ClusterMode = ClusterReplicated
	case ClusterReplicated, ClusterSharded:
	default:
		return fmt.Errorf("unknown cluster_mode %q (%s or %s)", t.ClusterMode, ClusterReplicated, ClusterSharded)
	}
	switch t.DatabaseEngine {
	case "", DatabaseAtomic:
		t.DatabaseEngine = DatabaseAtomic
	case DatabaseReplicated:
		if t.ClusterMode == ClusterSharded {
			// Partition operations (REPLACE/DROP PARTITION) on the local tables must reach every
			// shard; a Replicated database spanning shards does not promise that, ON CLUSTER does.
			return fmt.Errorf("database_engine: replicated works with cluster_mode: %s only; a sharded cluster uses Atomic databases and ON CLUSTER", ClusterReplicated)
		}
	default:
		return fmt.Errorf("unknown database_engine %q (%s or %s)", t.DatabaseEngine, DatabaseAtomic, DatabaseReplicated)
	}
	if t.ShardingKey != "" && t.ClusterMode != ClusterSharded {
		return fmt.Errorf("sharding_key needs cluster_mode: %s", ClusterSharded)
	}
	return nil
}
