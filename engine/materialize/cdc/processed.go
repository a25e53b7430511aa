package cdc

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// markProcessed sets processed = true on the staging rows of files up to to. The ledger decides
// what is consumed; processed follows it. Every run looks at all consumed files, not just this
// run's: a run killed after committing some of its batches and before marking them leaves
// unprocessed rows in files that the next run no longer applies.
//
// Each staging file is one partition, rewritten with the flag set into a temporary table and
// swapped back with REPLACE PARTITION (atomic, idempotent). Mutations (ALTER ... UPDATE), even
// restricted with IN PARTITION, waited on every part of the table and took seconds that grew with
// the staging history; this costs what the consumed files cost. Only partitions that still hold
// unprocessed rows are rewritten.
func markProcessed(staging, owner materialize.Relation, suffix string, to uint64, caps warehouse.Capabilities) []materialize.Step {
	if to == 0 {
		return nil
	}
	find := "SELECT DISTINCT _partition_id FROM " + staging.String() + " WHERE _load_seq <= " + strconv.FormatUint(to, 10) +
		" AND NOT processed ORDER BY _partition_id"
	// LIMIT 1 BY _row: a kill during an earlier REPLACE PARTITION can leave the old (unprocessed)
	// part beside the new one after a restart; each file row is kept once.
	return []materialize.Step{rewritePartitions("mark consumed rows of "+staging.String()+" processed", staging, owner,
		suffix+"mark", find, "SELECT * REPLACE (true AS processed) FROM "+staging.String()+" WHERE _load_seq = {id} ORDER BY _row LIMIT 1 BY _row", caps)}
}

// repairProcessed undoes, in a staging table, what a kill inside markProcessed's REPLACE PARTITION
// can leave: REPLACE PARTITION of a partition that holds data is not atomic against SIGKILL in a
// plain MergeTree table (docs/materializations.md, "The sweep"), and after a restart the old part,
// every row unprocessed, can be active beside the new one, every row processed: each file row
// twice. The history model's next markProcessed would fix it, but the staging model's tests run
// first and anyone reading staging meanwhile sees the rows twice (a random kill in e2e
// TestCrashRecovery found it: unique (_file, _row) failed on the re-run). A partition is rewritten
// whole by markProcessed, so one holding both processed and unprocessed rows is such a leftover;
// it is rewritten with each file row once, processed where any copy is (only markProcessed sets
// the flag, after the rows were consumed). The check reads the flag column only.
func repairProcessed(staging materialize.Relation, suffix string, to uint64, caps warehouse.Capabilities) materialize.Step {
	find := "SELECT _partition_id FROM " + staging.String() + " WHERE _load_seq <= " + strconv.FormatUint(to, 10) +
		" GROUP BY _partition_id HAVING min(processed) != max(processed) ORDER BY _partition_id"
	return rewritePartitions("repair partitions of "+staging.String()+" a killed REPLACE PARTITION left twice", staging, staging,
		suffix+"fix", find, "SELECT * FROM "+staging.String()+" WHERE _load_seq = {id} ORDER BY _row, processed DESC LIMIT 1 BY _row", caps)
}

// rewritePartitions is a step that runs find (partition ids of a staging table) and rewrites each
// found partition from fill ({id} is the partition) through a temporary table named after owner,
// swapped back with REPLACE PARTITION.
func rewritePartitions(purpose string, staging, owner materialize.Relation, tmpSuffix, find, fill string, caps warehouse.Capabilities) materialize.Step {
	return materialize.Step{Purpose: purpose, SQL: find,
		Expand: func(res *warehouse.Result) ([]string, error) {
			var out []string
			for i := range res.Rows {
				id := res.String(i, 0)
				if _, err := strconv.ParseUint(id, 10, 64); err != nil {
					return nil, fmt.Errorf("%s: partition %q is not a _load_seq; is it a staging model?", staging, id)
				}
				tmp := materialize.TempRelation(owner, tmpSuffix+id)
				out = append(out,
					dropTable(tmp, caps),
					createTable(tmp, false, caps)+" AS "+staging.String(),
					materialize.InsertInto(tmp, "", caps)+" "+strings.ReplaceAll(fill, "{id}", id))
				out = append(out, syncSQL(tmp, caps)...)
				out = append(out,
					// One part, so the REPLACE below attaches it with a single rename.
					materialize.OptimizeFinal(tmp, caps),
					replacePartition(staging, tmp, id, caps),
					dropTable(tmp, caps))
			}
			return out, nil
		}}
}
