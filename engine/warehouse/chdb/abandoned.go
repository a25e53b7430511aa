package chdb

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// DropAbandoned drops the tables that statements killed with their process left behind:
// ClickHouse 26 runs CREATE TABLE ... AS SELECT and CREATE OR REPLACE into a table named
// _tmp_replace_<hash>_<random> and renames it at the end, so a kill in between leaves that table
// under a name nobody can tie to its statement. The embedded engine belongs to one process at a
// time (the directory lock), so right after Open no statement can be running and every such table
// is abandoned. It returns how many were dropped.
func (w *Warehouse) DropAbandoned(ctx context.Context) (int, error) {
	res, err := w.Query(ctx, "SELECT database, name FROM system.tables WHERE startsWith(name, '_tmp_replace_')"+
		" AND database NOT IN ('system', 'information_schema', 'INFORMATION_SCHEMA') ORDER BY database, name")
	if err != nil {
		return 0, fmt.Errorf("chdb: find abandoned tables: %w", err)
	}
	for i := range res.Rows {
		rel := quoteIdent(res.String(i, 0)) + "." + quoteIdent(res.String(i, 1))
		if _, err := w.Exec(ctx, "DROP TABLE IF EXISTS "+rel+" SYNC"); err != nil {
			return i, fmt.Errorf("chdb: drop abandoned table %s: %w", rel, err)
		}
	}
	return len(res.Rows), nil
}

// mutationPoll is how often FinishMutations looks at system.mutations.
const mutationPoll = 20 * time.Millisecond

// FinishMutations waits for the mutations a killed process left unfinished. ClickHouse writes a
// mutation (ALTER ... UPDATE or DELETE, a lightweight DELETE) to disk before applying it and,
// when the table is next loaded, resumes it in the background: until it finishes, reads see the
// rows as they were before it. A `--full-refresh` killed while it forgot a model's files in the
// ledger, for one, left a ledger that still listed them to the next run's first read, and
// stopped listing them a moment later. Right after Open no statement can be running (the
// directory lock), so every unfinished mutation is such a leftover. It returns how many there
// were. A mutation that has failed is ClickHouse's to retry; FinishMutations stops waiting once
// every unfinished one has, rather than hang the command that opened the warehouse.
func (w *Warehouse) FinishMutations(ctx context.Context) (int, error) {
	const q = "SELECT count(), countIf(latest_fail_reason = '') FROM system.mutations WHERE NOT is_done"
	left := -1
	for {
		res, err := w.Query(ctx, q)
		if err != nil {
			return max(left, 0), fmt.Errorf("chdb: find unfinished mutations: %w", err)
		}
		n, _ := strconv.Atoi(res.String(0, 0))
		if left < 0 {
			left = n
		}
		if healthy, _ := strconv.Atoi(res.String(0, 1)); healthy == 0 {
			return left, nil
		}
		select {
		case <-ctx.Done():
			return left, ctx.Err()
		case <-time.After(mutationPoll):
		}
	}
}

// Recover undoes what a process killed while it had the warehouse open left behind: the tables
// of interrupted statements (DropAbandoned) and unfinished mutations (FinishMutations). Call it
// right after Open, before anything else runs; the process owns the engine alone then.
func (w *Warehouse) Recover(ctx context.Context) error {
	if _, err := w.DropAbandoned(ctx); err != nil {
		return err
	}
	_, err := w.FinishMutations(ctx)
	return err
}
