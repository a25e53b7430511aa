package materialize

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// CleanupTemps lists the temporary tables an interrupted earlier run built for target and drops
// them. Names are matched by a regular expression that requires a letters-and-digits suffix, so
// the temporaries of model "a_b" never match those of model "a". On a cluster the list comes
// from every node (clusterAllReplicas), since a crash may leave a table on some nodes only; on a
// sharded target each match is a Distributed table whose local table is dropped with it.
func CleanupTemps(target Relation, caps warehouse.Capabilities) Step {
	pattern := "^" + regexp.QuoteMeta(tempPrefix+target.Name+"_") + "[0-9A-Za-z]+$"
	from := "SELECT name FROM system.tables"
	if caps.Cluster != "" {
		from = "SELECT DISTINCT name FROM clusterAllReplicas(" + manifest.QuoteString(caps.Cluster) + ", system.tables)"
	}
	sql := from + " WHERE database = " + manifest.QuoteString(target.Database) +
		" AND match(name, " + manifest.QuoteString(pattern) + ") ORDER BY name"
	return Step{
		Purpose: "drop leftover temporary tables of " + target.String(),
		SQL:     sql,
		Expand: func(res *warehouse.Result) ([]string, error) {
			out := make([]string, 0, len(res.Rows))
			for i := range res.Rows {
				name := Relation{Database: target.Database, Name: res.String(i, 0)}
				out = append(out, DropTableSQL(name, caps)...)
			}
			return out, nil
		},
	}
}

// Swap moves a fully built tmp table into target and drops whatever target was before.
//
// With EXCHANGE TABLES (Atomic databases) an existing table is swapped in one atomic step, so
// readers see either the old or the new table; the old data then sits under tmp's name and is
// dropped. Without it, a single RENAME moves the old table aside and tmp in. A view in the way is
// dropped first (the only moment the relation is missing). A crash between steps leaves only
// tmp-named tables, which the next run's CleanupTemps drops.
//
// On a replicated target Swap first waits until every replica holds tmp's rows, so no replica
// swaps in a table that is still filling. EXCHANGE ... ON CLUSTER is then atomic on each node,
// not across nodes: for the moment the statement takes to reach all of them, one node may
// answer from the new table and another from the old. A sharded target swaps the local tables
// (see swapSharded).
func Swap(tmp, target Relation, state State, caps warehouse.Capabilities) ([]Step, error) {
	if state.Kind != Absent && state.Kind != View && state.Kind != Table {
		return nil, fmt.Errorf("%s exists as %s; dwm replaces only tables and views, drop it by hand",
			target, state.Engine)
	}
	steps := SyncReplicas(tmp, caps)
	if caps.Sharded {
		sw, err := swapSharded(tmp, target, state, caps)
		return append(steps, sw...), err
	}
	on := OnCluster(caps)
	into := "swap into " + target.String()
	switch state.Kind {
	case Absent:
		steps = append(steps, Step{Purpose: into, SQL: "RENAME TABLE " + tmp.String() + " TO " + target.String() + on})
	case View:
		steps = append(steps,
			Step{Purpose: "drop view " + target.String(), SQL: "DROP VIEW IF EXISTS " + target.String() + on},
			Step{Purpose: into, SQL: "RENAME TABLE " + tmp.String() + " TO " + target.String() + on})
	case Table:
		if caps.ExchangeTables {
			steps = append(steps,
				Step{Purpose: into, SQL: "EXCHANGE TABLES " + tmp.String() + " AND " + target.String() + on},
				Step{Purpose: "drop replaced table", SQL: dropTable(tmp, caps)})
			break
		}
		// The old table takes a second temporary name with the same prefix, so cleanup finds it.
		old := Relation{Database: tmp.Database, Name: tmp.Name + "old"}
		steps = append(steps,
			Step{Purpose: into, SQL: "RENAME TABLE " + target.String() + " TO " + old.String() + ", " +
				tmp.String() + " TO " + target.String() + on},
			Step{Purpose: "drop replaced table", SQL: dropTable(old, caps)})
	}
	if state.Engine == "Distributed" && caps.Cluster != "" {
		// The replaced table was the Distributed half of a sharded layout (the target's
		// cluster_mode changed): its local table holds the old rows and nothing reads it now.
		steps = append(steps, Step{Purpose: "drop the local table of the replaced sharded table",
			SQL: dropTable(LocalRelation(target), caps)})
	}
	return steps, nil
}

// swapSharded swaps the local tables, whose rows are the data, and then points the Distributed
// table target at them. The local table of the target is created first when missing (first
// build, or a table built before the target was sharded), so one EXCHANGE always works; it is
// atomic on each node. CREATE OR REPLACE then swaps in a Distributed table with the new columns
// (atomic too). Between the two statements the previous Distributed table reads the new local
// tables, which is harmless unless the model's columns changed: then a query in that instant
// may fail on a missing column.
func swapSharded(tmp, target Relation, state State, caps warehouse.Capabilities) ([]Step, error) {
	if !caps.ExchangeTables {
		return nil, fmt.Errorf("a sharded target needs EXCHANGE TABLES (Atomic or Replicated databases)")
	}
	on := OnCluster(caps)
	tmpLocal, local := LocalRelation(tmp), LocalRelation(target)
	steps := []Step{
		{Purpose: "create " + local.String() + " if missing", SQL: "CREATE TABLE IF NOT EXISTS " + local.String() + on + " AS " + tmpLocal.String()},
		{Purpose: "swap into " + local.String(), SQL: "EXCHANGE TABLES " + tmpLocal.String() + " AND " + local.String() + on},
	}
	if state.Kind == View {
		steps = append(steps, Step{Purpose: "drop view " + target.String(), SQL: "DROP VIEW IF EXISTS " + target.String() + on})
	}
	steps = append(steps, Step{Purpose: "point " + target.String() + " at " + local.String(),
		SQL: "CREATE OR REPLACE TABLE " + target.String() + on + " AS " + local.String() + " " + distributedEngine(target, caps)})
	for _, sql := range DropTableSQL(tmp, caps) {
		steps = append(steps, Step{Purpose: "drop replaced table", SQL: sql})
	}
	return steps, nil
}

// insertByName inserts the rows of query into dst matching columns by name: the explicit list
// puts each column in place whatever order the SELECT uses, a missing column fails with
// UNKNOWN_IDENTIFIER, and `* EXCEPT (...)` turns any extra column into a
// NUMBER_OF_COLUMNS_DOESNT_MATCH error. A changed model schema thus fails with ClickHouse's own
// message instead of shifting or dropping data.
func insertByName(dst Relation, cols []warehouse.Column, query string, caps warehouse.Capabilities) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = manifest.QuoteIdent(c.Name)
	}
	list := strings.Join(names, ", ")
	return InsertInto(dst, list, caps) + " SELECT " + list + ", * EXCEPT (" + list + ") FROM (\n" + query + "\n)"
}
