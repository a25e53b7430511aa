package materialize

import (
	"github.com/dwmhq/dwm/engine/warehouse"
)

// planInsertOverwrite builds the new rows in `CREATE TABLE tmp AS target`, an exact copy of the
// target's structure, partition key and sorting key, which REPLACE PARTITION requires. Which
// partitions to replace is only known once tmp is filled, so an expanding step reads them from
// tmp's active parts (on every node of a cluster). Partitions absent from the new rows are left
// untouched. On a sharded target each shard replaces the partition with its own share of the
// new rows, possibly none.
//
// On one node, the filled and compacted tmp is renamed to the model's swap table before the
// first REPLACE, and dropped after the last. REPLACE PARTITION of a partition that holds data
// is not atomic against SIGKILL in a plain MergeTree table: killed at the wrong moment, the new
// part is on disk and the empty part covering the old one is not, so after a restart both are
// active and the partition's rows are there twice (11 of 60 random kills of a loop of such
// REPLACEs: internal/killloop, docs/materializations.md). A swap table is complete by
// construction (only a RENAME makes one), so the model's next run finishes its swap before
// anything else (redoSwap): replacing the partitions again replaces every part they hold, the
// resurrected ones too.
// On a cluster the replicated tables' REPLACE goes through Keeper's log, and tmp is used as is.
func planInsertOverwrite(in Input, caps warehouse.Capabilities, target Relation, query string, cleanup Step) ([]Step, error) {
	tmp := TempRelation(target, in.Suffix)
	steps, err := fillTemp(in, caps, target, tmp, query, cleanup)
	if err != nil {
		return nil, err
	}
	// One part per partition: REPLACE PARTITION attaches a partition's parts one by one, so a
	// kill during a multi-part attach could leave half a partition; a single part is one rename.
	steps = append(steps, Step{Purpose: "compact " + tmp.String(), SQL: OptimizeFinal(tmp, caps)})
	from := tmp
	if caps.Cluster == "" {
		from = swapRelation(target)
		steps = append(steps, Step{Purpose: "mark " + tmp.String() + " complete as " + from.String(),
			SQL: "RENAME TABLE " + tmp.String() + " TO " + from.String()})
	}
	steps = append(steps, replaceFrom("replace partitions of "+target.String(), target, from, caps))
	return append(steps, DropTable(from, caps)...), nil
}

// swapRelation is the table an insert_overwrite run replaces the target's partitions from, once
// it is complete: a temporary table by name (CleanupTemps matches it, and the run suffixes,
// which start with digits, never equal it).
func swapRelation(target Relation) Relation { return TempRelation(target, "swap") }

// redoSwap finishes the swap an interrupted insert_overwrite run left: every partition of the
// swap table replaces the target's. With no swap table it finds no partition. The swap table
// itself goes with the other leftovers in the CleanupTemps that every incremental plan and
// rebuild runs next (a kill before that only makes the next run replace them again). Not on a
// cluster (see planInsertOverwrite).
func redoSwap(target Relation, caps warehouse.Capabilities) []Step {
	if caps.Cluster != "" {
		return nil
	}
	return []Step{replaceFrom("finish the partition swap an interrupted run began on "+target.String(), target, swapRelation(target), caps)}
}

// replaceFrom is a step that replaces each partition src holds in target.
func replaceFrom(purpose string, target, src Relation, caps warehouse.Capabilities) Step {
	return Step{Purpose: purpose, SQL: PartitionsQuery(src, caps), Expand: func(res *warehouse.Result) ([]string, error) {
		out := make([]string, 0, len(res.Rows))
		for i := range res.Rows {
			out = append(out, ReplacePartition(target, src, res.String(i, 0), caps))
		}
		return out, nil
	}}
}
