package materialize

import (
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// planDeleteInsert deletes with ALTER TABLE ... DELETE and mutations_sync = 2 rather than a
// lightweight DELETE: it works on every MergeTree table (lightweight DELETE refuses tables with
// projections by default), and mutations_sync = 2 returns only when the rows are gone on all
// replicas, so the following INSERT and any reader see the final state on chDB and on a server
// alike (a server's default mutations_sync is 0, asynchronous). On a cluster the mutation runs
// on the target's storage (the local tables of a sharded target, every shard) and its subquery
// reads tmp, which every replica holds by then (see DeleteWhere).
//
// The DELETE and the INSERT are not atomic together, and an INSERT of many blocks is not atomic
// either: each block is committed as its own part, so a kill half-way through leaves some of the
// new rows in. A model whose incremental filter reads its own table (mart_daily_activity's
// loaded_through_seq watermark) would then take those rows as done and never recompute the rest.
// So on one node the filled tmp is renamed to the model's ready table, and the DELETE and INSERT
// read it; the next run, whatever it does next, first does them again from a ready table it
// finds (redoDeleteInsert): deleting the ready rows' keys removes the half-inserted rows too, and
// the INSERT puts every row in. A ready table is complete by construction (only a RENAME makes
// one). On a cluster tmp is used as is.
func planDeleteInsert(in Input, caps warehouse.Capabilities, target Relation, query string, cleanup Step) ([]Step, error) {
	tmp := TempRelation(target, in.Suffix)
	steps, err := fillTemp(in, caps, target, tmp, query, cleanup)
	if err != nil {
		return nil, err
	}
	from := tmp
	if caps.Cluster == "" {
		from = readyRelation(target)
		steps = append(steps, Step{Purpose: "mark " + tmp.String() + " complete as " + from.String(),
			SQL: "RENAME TABLE " + tmp.String() + " TO " + from.String()})
	}
	steps = append(steps, deleteInsertFrom(target, from, uniqueKey(in.Node), caps)...)
	steps = append(steps, SyncReplicas(target, caps)...)
	return append(steps, DropTable(from, caps)...), nil
}

// deleteInsertFrom deletes target's rows whose key src holds, then inserts src's rows.
func deleteInsertFrom(target, src Relation, key string, caps warehouse.Capabilities) []Step {
	return []Step{
		{Purpose: "delete replaced keys from " + target.String(),
			SQL: DeleteWhere(target, "("+key+") IN (SELECT "+key+" FROM "+src.String()+")", caps)},
		{Purpose: "insert into " + target.String(), SQL: InsertInto(target, "", caps) + " SELECT * FROM " + src.String()},
	}
}

// uniqueKey is the model's unique_key columns, quoted and comma-separated.
func uniqueKey(n *manifest.Node) string {
	keys := make([]string, len(n.Config.UniqueKey))
	for i, k := range n.Config.UniqueKey {
		keys[i] = manifest.QuoteIdent(strings.TrimSpace(k))
	}
	return strings.Join(keys, ", ")
}

// readyRelation is the complete new rows of a delete+insert run: a temporary table by name
// (CleanupTemps matches it, and run suffixes, which start with digits, never equal it).
func readyRelation(target Relation) Relation { return TempRelation(target, "ready") }

// redoDeleteInsert finishes the delete and insert an interrupted delete+insert run began from
// its ready table, before anything else of the model's run: an expanding step finds the table
// (none, and nothing is done) and deletes and inserts again from it. The ready table itself goes
// with the other leftovers in the CleanupTemps every incremental plan and rebuild runs next (a
// kill before that only makes the next run do it again, to the same rows). A model without
// unique_key now cannot say which rows the ready table replaces; its leftovers are only dropped.
// Not on a cluster (see planDeleteInsert).
func redoDeleteInsert(in Input, target Relation, caps warehouse.Capabilities) []Step {
	if caps.Cluster != "" || len(in.Node.Config.UniqueKey) == 0 {
		return nil
	}
	ready := readyRelation(target)
	redo := deleteInsertFrom(target, ready, uniqueKey(in.Node), caps)
	return []Step{{
		Purpose: "finish the delete and insert an interrupted run began on " + target.String(),
		SQL: "SELECT count() FROM system.tables WHERE database = " + manifest.QuoteString(ready.Database) +
			" AND name = " + manifest.QuoteString(ready.Name),
		Expand: func(res *warehouse.Result) ([]string, error) {
			if len(res.Rows) == 0 || res.String(0, 0) == "0" {
				return nil, nil
			}
			return []string{redo[0].SQL, redo[1].SQL}, nil
		},
	}}
}
