package materialize

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// OnCluster is the " ON CLUSTER `c`" fragment for DDL on a clustered target, else "".
// Only DDL gets it: INSERTs run on the node dwm is connected to and Replicated engines copy them.
func OnCluster(caps warehouse.Capabilities) string {
	if caps.Cluster == "" {
		return ""
	}
	return " ON CLUSTER " + manifest.QuoteIdent(caps.Cluster)
}

// CleanupTemps lists the temporary tables an interrupted earlier run built for target and drops
// them. Names are matched by a regular expression that requires a letters-and-digits suffix, so
// the temporaries of model "a_b" never match those of model "a".
func CleanupTemps(target Relation, caps warehouse.Capabilities) Step {
	pattern := "^" + regexp.QuoteMeta(tempPrefix+target.Name+"_") + "[0-9A-Za-z]+$"
	sql := "SELECT name FROM system.tables WHERE database = " + manifest.QuoteString(target.Database) +
		" AND match(name, " + manifest.QuoteString(pattern) + ") ORDER BY name"
	return Step{
		Purpose: "drop leftover temporary tables of " + target.String(),
		SQL:     sql,
		Expand: func(res *warehouse.Result) ([]string, error) {
			out := make([]string, 0, len(res.Rows))
			for i := range res.Rows {
				name := Relation{Database: target.Database, Name: res.String(i, 0)}
				out = append(out, dropTable(name, caps))
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
func Swap(tmp, target Relation, state State, caps warehouse.Capabilities) ([]Step, error) {
	on := OnCluster(caps)
	into := "swap into " + target.String()
	switch state.Kind {
	case Absent:
		return []Step{{Purpose: into, SQL: "RENAME TABLE " + tmp.String() + " TO " + target.String() + on}}, nil
	case View:
		return []Step{
			{Purpose: "drop view " + target.String(), SQL: "DROP VIEW IF EXISTS " + target.String() + on},
			{Purpose: into, SQL: "RENAME TABLE " + tmp.String() + " TO " + target.String() + on},
		}, nil
	case Table:
		if caps.ExchangeTables {
			return []Step{
				{Purpose: into, SQL: "EXCHANGE TABLES " + tmp.String() + " AND " + target.String() + on},
				{Purpose: "drop replaced table", SQL: dropTable(tmp, caps)},
			}, nil
		}
		// The old table takes a second temporary name with the same prefix, so cleanup finds it.
		old := Relation{Database: tmp.Database, Name: tmp.Name + "old"}
		return []Step{
			{Purpose: into, SQL: "RENAME TABLE " + target.String() + " TO " + old.String() + ", " +
				tmp.String() + " TO " + target.String() + on},
			{Purpose: "drop replaced table", SQL: dropTable(old, caps)},
		}, nil
	default:
		return nil, fmt.Errorf("%s exists as %s; dwm replaces only tables and views, drop it by hand",
			target, state.Engine)
	}
}

// dropTable drops with SYNC so the disk space of replaced data is freed before the run ends
// rather than minutes later, which matters for an embedded engine that exits right after.
func dropTable(r Relation, caps warehouse.Capabilities) string {
	return "DROP TABLE IF EXISTS " + r.String() + OnCluster(caps) + " SYNC"
}

// insertByName inserts the rows of query into dst matching columns by name: the explicit list
// puts each column in place whatever order the SELECT uses, a missing column fails with
// UNKNOWN_IDENTIFIER, and `* EXCEPT (...)` turns any extra column into a
// NUMBER_OF_COLUMNS_DOESNT_MATCH error. A changed model schema thus fails with ClickHouse's own
// message instead of shifting or dropping data.
func insertByName(dst Relation, cols []warehouse.Column, query string) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = manifest.QuoteIdent(c.Name)
	}
	list := strings.Join(names, ", ")
	return "INSERT INTO " + dst.String() + " (" + list + ") SELECT " + list + ", * EXCEPT (" + list +
		") FROM (\n" + query + "\n)"
}
