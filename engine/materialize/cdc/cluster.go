package cdc

import (
	"fmt"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// The CDC plans on a cluster target follow the recipe of materialize/cluster.go (docs/
// materializations.md, "On a cluster"): every table they create, temporary ones included, is
// created ON CLUSTER (or in a Replicated database, which replicates the DDL) with the Replicated
// variant of MergeTree; every INSERT carries insert_deduplicate = 0 and is followed by
// SyncReplicas, because the next statement (a swap, a count, the ledger commit, a downstream
// model) may run on another replica; partition swaps and mutations wait for every replica. The
// ledger row, the commit, is itself synced before the model reports success, so a run that
// reaches another replica next sees what was committed.
//
// A sharded target is refused: a load's duplicate check, its partition swap and its ledger count
// must see every row of the model, and an scd2 batch reads the current versions of the changed
// keys, none of which holds when each shard keeps part of the rows.

// refuseSharded names the model and says why a CDC model does not run on a sharded target.
func refuseSharded(n *manifest.Node, caps warehouse.Capabilities) error {
	if !caps.Sharded {
		return nil
	}
	return fmt.Errorf("materialize %s: a %s model cannot run on a sharded cluster target (cluster_mode: sharded): its duplicate checks, "+
		"partition swaps and ledger counts need every row of the model on each node; use cluster_mode: replicated", n.UniqueID, n.Config.Materialized)
}

// mergeTree is the engine of every table a CDC plan creates: MergeTree, or ReplicatedMergeTree()
// on a replicated target (the server's default Keeper path, as EngineFor explains).
func mergeTree(caps warehouse.Capabilities) string {
	if caps.Replicated {
		return "ReplicatedMergeTree()"
	}
	return "MergeTree"
}

// createTable starts a CREATE TABLE of r on every node of caps' target.
func createTable(r materialize.Relation, ifNotExists bool, caps warehouse.Capabilities) string {
	sql := "CREATE TABLE "
	if ifNotExists {
		sql += "IF NOT EXISTS "
	}
	return sql + r.String() + materialize.OnCluster(caps)
}

// alterTable starts an ALTER TABLE of r on every node of caps' target.
func alterTable(r materialize.Relation, caps warehouse.Capabilities) string {
	return "ALTER TABLE " + r.String() + materialize.OnCluster(caps)
}

// insert is an INSERT of query into r followed, on a replicated target, by the wait until every
// replica holds the rows. Settings of the SELECT (settings) go after it.
func insert(purpose string, r materialize.Relation, columns, query string, caps warehouse.Capabilities) []materialize.Step {
	return append([]materialize.Step{{Purpose: purpose, SQL: materialize.InsertInto(r, columns, caps) + " " + query}},
		materialize.SyncReplicas(r, caps)...)
}

// replacePartition swaps partition id of target for that of src on every replica; an empty
// source partition empties the target's.
func replacePartition(target, src materialize.Relation, id string, caps warehouse.Capabilities) string {
	return materialize.ReplacePartition(target, src, id, caps, "allow_replace_partition_from_empty_source = 1")
}

// syncSQL is SyncReplicas as statements, for steps that expand into several.
func syncSQL(r materialize.Relation, caps warehouse.Capabilities) []string {
	var out []string
	for _, s := range materialize.SyncReplicas(r, caps) {
		out = append(out, s.SQL)
	}
	return out
}
