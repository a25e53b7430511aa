package materialize

import (
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// How a plan's statements reach the nodes of a cluster (docs/targets.md, "Clusters"):
//
//   - Table DDL (CREATE, DROP, RENAME, EXCHANGE, ALTER, OPTIMIZE) runs ON CLUSTER, so it happens
//     on every node, except in a Replicated database, which replicates table DDL by itself.
//   - Tables use the Replicated variant of their engine: rows inserted on one node reach every
//     replica of its shard. Keeper paths come from the server's default_replica_path and
//     default_replica_name (see EngineFor).
//   - On a sharded target a relation is `<name>_local` (the rows, on every node) plus `<name>`, a
//     Distributed table over them. INSERT and SELECT go through `<name>`; everything that
//     manipulates stored rows (partitions, mutations, OPTIMIZE, system.parts, SYNC REPLICA)
//     addresses Storage(r), the local table.
//   - After rows are written, SyncReplicas waits until every replica holds them, before anything
//     swaps the table in or reads it through another node.

// DefaultShardingKey spreads rows evenly over the shards when neither the target nor the model
// names a sharding key.
const DefaultShardingKey = "rand()"

// localSuffix names the local table behind a relation on a sharded target.
const localSuffix = "_local"

// OnCluster is the " ON CLUSTER `c`" fragment for table DDL on a cluster target, else "". It is
// empty in a Replicated database too, where ClickHouse replicates table DDL itself and rejects
// ON CLUSTER.
func OnCluster(caps warehouse.Capabilities) string {
	if caps.ReplicatedDatabase {
		return ""
	}
	return everyNode(caps)
}

// everyNode is the ON CLUSTER fragment for statements that must run on every node whatever the
// database engine: SYSTEM queries and CREATE DATABASE, which a Replicated database does not
// replicate.
func everyNode(caps warehouse.Capabilities) string {
	if caps.Cluster == "" {
		return ""
	}
	return " ON CLUSTER " + manifest.QuoteIdent(caps.Cluster)
}

// LocalRelation is the local table that holds r's rows on a sharded target.
func LocalRelation(r Relation) Relation {
	return Relation{Database: r.Database, Name: r.Name + localSuffix}
}

// Storage is the table that holds r's rows: LocalRelation(r) on a sharded target, r elsewhere.
// Partition operations, mutations, OPTIMIZE, system.parts and SYSTEM SYNC REPLICA address it,
// INSERT and SELECT address r.
func Storage(r Relation, caps warehouse.Capabilities) Relation {
	if caps.Sharded {
		return LocalRelation(r)
	}
	return r
}

// ModelCaps applies a node's own layout config to the target's capabilities: its `sharding_key`
// replaces the target's on a sharded target (and is ignored elsewhere, so one project runs on
// every target). Plans of table-building materializations call it once and use the result.
func ModelCaps(n *manifest.Node, caps warehouse.Capabilities) warehouse.Capabilities {
	if !caps.Sharded {
		return caps
	}
	if n != nil {
		if k := strings.TrimSpace(n.Config.String("sharding_key")); k != "" {
			caps.ShardingKey = k
		}
	}
	if strings.TrimSpace(caps.ShardingKey) == "" {
		caps.ShardingKey = DefaultShardingKey
	}
	return caps
}

// EngineFor turns the engine a model configures into the one to create on caps' target. On a
// replicated target a MergeTree-family engine becomes its Replicated variant with the same
// arguments: `ReplacingMergeTree(ver)` becomes `ReplicatedReplacingMergeTree(ver)`, `MergeTree`
// becomes `ReplicatedMergeTree()`.
//
// The Keeper path and replica name are left out on purpose, so ClickHouse takes them from the
// server settings default_replica_path and default_replica_name (by default
// '/clickhouse/tables/{uuid}/{shard}' and '{replica}'): the operators' configuration decides
// where tables live in Keeper, a Replicated database accepts the statement as it is (it refuses
// or ignores explicit arguments by default), and {uuid} makes the path follow the table, not
// its name. That is what lets dwm build under a temporary name and swap: the temporary table
// and the target never share a path, CREATE TABLE ... AS copies the unexpanded macro (each new
// table gets its own uuid), and EXCHANGE/RENAME keep each table's uuid, hence its path, on
// every replica. An engine written as Replicated... with an explicit path must therefore
// contain {uuid} too. Engines outside the MergeTree family keep their rows on one node and are
// refused on a replicated target; Shared* engines (ClickHouse Cloud) replicate by themselves.
func EngineFor(engine string, caps warehouse.Capabilities) (string, error) {
	engine = strings.TrimSpace(engine)
	if engine == "" {
		engine = "MergeTree"
	}
	if !caps.Replicated {
		return engine, nil
	}
	name, args := engine, ""
	if i := strings.IndexByte(engine, '('); i >= 0 {
		name, args = strings.TrimSpace(engine[:i]), engine[i:]
	}
	switch {
	case strings.HasPrefix(name, "Shared"):
		return engine, nil
	case strings.HasPrefix(name, "Replicated") && strings.HasSuffix(name, "MergeTree"):
		inner := strings.TrimSpace(strings.TrimPrefix(args, "("))
		if strings.HasPrefix(inner, "'") && !strings.Contains(args, "{uuid}") {
			return "", fmt.Errorf("engine %s: dwm builds tables under a temporary name and swaps them in, so a Keeper path must contain {uuid}; leave the arguments out to use the server's default_replica_path", engine)
		}
		return engine, nil
	case strings.HasSuffix(name, "MergeTree") && isIdent(name):
		if args == "" {
			args = "()"
		}
		return "Replicated" + name + args, nil
	}
	return "", fmt.Errorf("engine %s keeps its rows on one node; a replicated cluster target needs a MergeTree-family engine", engine)
}

// TableClauseFor is TableClause with the engine made right for caps' target (EngineFor).
func TableClauseFor(cfg manifest.Config, caps warehouse.Capabilities) (string, error) {
	engine, err := EngineFor(cfg.Engine, caps)
	if err != nil {
		return "", err
	}
	cfg.Engine = engine
	return TableClause(cfg)
}

// distributedEngine is the ENGINE clause of the Distributed table r over LocalRelation(r) on
// every shard of the cluster, routing rows by caps.ShardingKey.
func distributedEngine(r Relation, caps warehouse.Capabilities) string {
	key := strings.TrimSpace(caps.ShardingKey)
	if key == "" {
		key = DefaultShardingKey
	}
	return "ENGINE = Distributed(" + manifest.QuoteString(caps.Cluster) + ", " + manifest.QuoteString(r.Database) + ", " +
		manifest.QuoteString(LocalRelation(r).Name) + ", " + key + ")"
}

// TableDef says how CreateTable gets a table's structure: exactly one of Select, Columns or As.
type TableDef struct {
	// Select is a query whose result structure the table takes (CREATE ... EMPTY AS SELECT).
	Select string
	// Columns are column definitions, "`a` String, `b` UInt64".
	Columns string
	// As copies the structure and storage of an existing relation (CREATE ... AS r), which
	// REPLACE PARTITION needs; on a sharded target the local table copies r's local table.
	As Relation
	// Clause is the storage for Select and Columns, "ENGINE = ... ORDER BY ...", already made
	// right for the target (TableClauseFor, or EngineFor for a hand-written clause).
	Clause string
	// IfNotExists adds IF NOT EXISTS.
	IfNotExists bool
}

// CreateTable returns the steps that create r on caps' target. On a sharded target that is the
// Distributed table r first and then its local table: a local table then only ever exists
// while its Distributed table does, so CleanupTemps finds a crashed run's temporaries by the
// Distributed name alone.
func CreateTable(r Relation, def TableDef, caps warehouse.Capabilities) ([]Step, error) {
	forms := 0
	for _, set := range []bool{def.Select != "", def.Columns != "", def.As != (Relation{})} {
		if set {
			forms++
		}
	}
	if forms != 1 {
		return nil, fmt.Errorf("create %s: exactly one of Select, Columns and As must be given", r)
	}
	if (def.As == (Relation{})) == (def.Clause == "") {
		return nil, fmt.Errorf("create %s: Select and Columns need a storage clause, As takes none", r)
	}
	on := OnCluster(caps)
	create := func(rel Relation) string {
		if def.IfNotExists {
			return "CREATE TABLE IF NOT EXISTS " + rel.String() + on
		}
		return "CREATE TABLE " + rel.String() + on
	}
	// shape renders the structure with the given storage clause ("" keeps As's storage).
	shape := func(clause string) string {
		switch {
		case def.Select != "":
			return " " + clause + " EMPTY AS " + def.Select
		case def.Columns != "":
			return " (" + def.Columns + ") " + clause
		case clause == "":
			return " AS " + def.As.String()
		}
		return " AS " + def.As.String() + " " + clause
	}
	purpose := "create " + r.String()
	if !caps.Sharded {
		return []Step{{Purpose: purpose, SQL: create(r) + shape(def.Clause)}}, nil
	}
	local := LocalRelation(r)
	localSQL := create(local) + " AS " + r.String() + " " + def.Clause
	if def.As != (Relation{}) {
		localSQL = create(local) + " AS " + LocalRelation(def.As).String()
	}
	return []Step{
		{Purpose: purpose, SQL: create(r) + shape(distributedEngine(r, caps))},
		{Purpose: "create " + local.String(), SQL: localSQL},
	}, nil
}

// DropTableSQL drops r (and on a sharded target its local table first, keeping CreateTable's
// invariant), with SYNC so the disk space of replaced data is freed before the run ends rather
// than minutes later, which matters for an embedded engine that exits right after.
func DropTableSQL(r Relation, caps warehouse.Capabilities) []string {
	var out []string
	for _, rel := range storedAs(r, caps) {
		out = append(out, dropTable(rel, caps))
	}
	return out
}

// DropTable is DropTableSQL as steps.
func DropTable(r Relation, caps warehouse.Capabilities) []Step {
	var steps []Step
	for _, rel := range storedAs(r, caps) {
		steps = append(steps, Step{Purpose: "drop " + rel.String(), SQL: dropTable(rel, caps)})
	}
	return steps
}

// storedAs lists the tables that make up r, in the order they are dropped.
func storedAs(r Relation, caps warehouse.Capabilities) []Relation {
	if caps.Sharded {
		return []Relation{LocalRelation(r), r}
	}
	return []Relation{r}
}

func dropTable(r Relation, caps warehouse.Capabilities) string {
	return "DROP TABLE IF EXISTS " + r.String() + OnCluster(caps) + " SYNC"
}

// SyncReplicas waits until every replica of Storage(r) holds the rows written to it so far, on
// every node of the cluster; nothing on a target without replication. LIGHTWEIGHT waits for the
// entries that bring rows (fetches, attaches, REPLACE_RANGE, drops), not for merges, which
// change none. It runs after every write that another statement reads, because the next
// statement (a swap, a mutation's subquery, a downstream model, a test) may run on another
// node; an INSERT returns when its own node (or, through a Distributed table, one replica per
// shard) has the rows.
func SyncReplicas(r Relation, caps warehouse.Capabilities) []Step {
	if !caps.Replicated {
		return nil
	}
	s := Storage(r, caps)
	return []Step{{Purpose: "wait until every replica holds " + s.String(),
		SQL: "SYSTEM SYNC REPLICA" + everyNode(caps) + " " + s.String() + " LIGHTWEIGHT"}}
}

// InsertInto starts an INSERT into r: "INSERT INTO r", the column list when given, and the
// settings. A SELECT or FORMAT clause follows. On a cluster it adds:
//
//   - insert_deduplicate = 0: a Replicated table otherwise drops any inserted block identical to
//     one of the last inserted blocks (retry protection), which would silently lose rows that
//     are legitimately inserted again: delete+insert re-inserting unchanged rows after deleting
//     them, an append of the same rows, two identical blocks of one INSERT ... SELECT. dwm never
//     blindly retries an INSERT; its runs recover through temporary tables and the ledger.
//   - distributed_foreground_insert = 1 on a sharded target: the INSERT through the Distributed
//     table returns only once every shard has its rows (by default the Distributed table queues
//     them and sends them later).
func InsertInto(r Relation, columns string, caps warehouse.Capabilities, settings ...string) string {
	sql := "INSERT INTO " + r.String()
	if columns != "" {
		sql += " (" + columns + ")"
	}
	if caps.Replicated {
		settings = append(settings, "insert_deduplicate = 0")
	}
	if caps.Sharded {
		settings = append(settings, "distributed_foreground_insert = 1")
	}
	if len(settings) > 0 {
		sql += " SETTINGS " + strings.Join(settings, ", ")
	}
	return sql
}

// PartitionsQuery lists the partition IDs that hold active parts of Storage(r). On a cluster it
// asks every node (clusterAllReplicas), since on a sharded target each shard holds other rows.
func PartitionsQuery(r Relation, caps warehouse.Capabilities) string {
	s := Storage(r, caps)
	from := "system.parts"
	if caps.Cluster != "" {
		from = "clusterAllReplicas(" + manifest.QuoteString(caps.Cluster) + ", system.parts)"
	}
	return "SELECT DISTINCT partition_id FROM " + from + " WHERE database = " + manifest.QuoteString(s.Database) +
		" AND table = " + manifest.QuoteString(s.Name) + " AND active ORDER BY partition_id"
}

// ReplacePartition replaces partition id of target by that of src (ALTER ... REPLACE PARTITION,
// atomic per partition on each replica), on their storage tables. On a replicated target the
// statement waits for every replica (alter_sync = 2); on a sharded one it runs on every shard
// and accepts an empty source partition, because a shard that got none of the new rows must
// still drop its old rows of the partition.
func ReplacePartition(target, src Relation, id string, caps warehouse.Capabilities, settings ...string) string {
	if caps.Sharded {
		settings = addSetting(settings, "allow_replace_partition_from_empty_source = 1")
	}
	return "ALTER TABLE " + Storage(target, caps).String() + OnCluster(caps) + " REPLACE PARTITION ID " +
		manifest.QuoteString(id) + " FROM " + Storage(src, caps).String() + alterSettings(caps, settings)
}

// DropPartition drops partition id of r's storage, on every replica and shard.
func DropPartition(r Relation, id string, caps warehouse.Capabilities) string {
	return "ALTER TABLE " + Storage(r, caps).String() + OnCluster(caps) + " DROP PARTITION ID " +
		manifest.QuoteString(id) + alterSettings(caps, nil)
}

// DeleteWhere deletes the rows of r matching where with a mutation (ALTER TABLE ... DELETE) and
// mutations_sync = 2, which returns only when the rows are gone on every replica.
//
// A replicated table refuses a mutation whose WHERE has a subquery unless
// allow_nondeterministic_mutations = 1, because each replica evaluates it on its own; dwm sets
// it, so where may read another table only if that table holds the same rows on every replica
// until the mutation is done: a temporary table after SyncReplicas, dropped only afterwards.
func DeleteWhere(r Relation, where string, caps warehouse.Capabilities) string {
	settings := " SETTINGS mutations_sync = 2"
	if caps.Replicated {
		settings += ", allow_nondeterministic_mutations = 1"
	}
	return "ALTER TABLE " + Storage(r, caps).String() + OnCluster(caps) + " DELETE WHERE " + where + settings
}

// OptimizeFinal merges each partition of r's storage into one part, on every replica
// (alter_sync = 2 waits for them).
func OptimizeFinal(r Relation, caps warehouse.Capabilities) string {
	return "OPTIMIZE TABLE " + Storage(r, caps).String() + OnCluster(caps) + " FINAL" + alterSettings(caps, nil)
}

// CreateDatabase creates db on every node (ON CLUSTER even for a Replicated database, which does
// not replicate its own creation); with ReplicatedDatabase it uses the Replicated engine with
// the server's default Keeper path, shard and replica names.
func CreateDatabase(db string, caps warehouse.Capabilities) string {
	sql := "CREATE DATABASE IF NOT EXISTS " + manifest.QuoteIdent(db) + everyNode(caps)
	if caps.ReplicatedDatabase {
		sql += " ENGINE = Replicated"
	}
	return sql
}

// CheckDatabaseEngine refuses a database whose engine (system.databases.engine) contradicts the
// target: in an Atomic database table DDL without ON CLUSTER would change one node only, and a
// Replicated database rejects ON CLUSTER.
func CheckDatabaseEngine(db, engine string, caps warehouse.Capabilities) error {
	switch {
	case caps.Cluster == "":
		return nil
	case caps.ReplicatedDatabase && engine != "Replicated":
		return fmt.Errorf("database %s has engine %s, but the target says database_engine: replicated; create it with ENGINE = Replicated or change the target", db, engine)
	case !caps.ReplicatedDatabase && engine == "Replicated":
		return fmt.Errorf("database %s has engine Replicated, which replicates DDL itself and refuses ON CLUSTER: set database_engine: replicated on the target", db)
	}
	return nil
}

// alterSettings is the SETTINGS clause of a partition ALTER or OPTIMIZE: the given settings
// plus, on a replicated target, alter_sync = 2 (wait for every replica, not only this one).
func alterSettings(caps warehouse.Capabilities, settings []string) string {
	if caps.Replicated {
		settings = addSetting(settings, "alter_sync = 2")
	}
	if len(settings) == 0 {
		return ""
	}
	return " SETTINGS " + strings.Join(settings, ", ")
}

// addSetting appends "name = value" unless a setting of that name is already there.
func addSetting(settings []string, s string) []string {
	name := strings.TrimSpace(s[:strings.IndexByte(s, '=')])
	for _, have := range settings {
		if i := strings.IndexByte(have, '='); i >= 0 && strings.TrimSpace(have[:i]) == name {
			return settings
		}
	}
	return append(append([]string(nil), settings...), s)
}

// checkLayout refuses incremental changes to a table whose engine does not match the target's
// layout (a table built before `cluster:` was set, or in another cluster_mode): its rows would
// stay on one node or one shard. A rebuild (--full-refresh) gives it the right layout.
func checkLayout(target Relation, state State, caps warehouse.Capabilities) error {
	if state.Kind != Table || !caps.Replicated {
		return nil
	}
	switch {
	case caps.Sharded && state.Engine != "Distributed":
		return fmt.Errorf("%s has engine %s, but the target is sharded (a Distributed table over %s); rebuild it with --full-refresh",
			target, state.Engine, LocalRelation(target))
	case !caps.Sharded && !strings.HasPrefix(state.Engine, "Replicated") && !strings.HasPrefix(state.Engine, "Shared"):
		return fmt.Errorf("%s has engine %s, which keeps its rows on one node, but the target is a replicated cluster; rebuild it with --full-refresh",
			target, state.Engine)
	}
	return nil
}
