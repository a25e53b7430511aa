package cdc

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// ledgerFile is one file row of a load's ledger, as the table's check needs it.
type ledgerFile struct {
	path   string
	seq    uint64
	loaded uint64
}

// ledgerDisagrees says why a load's ledger and its table no longer describe the same files, or
// returns "" when they do. The ledger is the commit record: every file it lists with rows loaded
// must hold a partition of the table, no file or _load_seq may be listed twice, and the table
// must hold no committed-range partition the ledger does not list. A run that only trusted the
// ledger would skip such a file forever (or keep rows nobody committed); the caller reloads the
// model from scratch instead. Table is false when the model's table does not exist.
//
// How they drift apart: ClickHouse writes a delete (the full refresh forgetting a model's
// ledger rows) as new parts and removes the old ones later; a process killed at the wrong moment
// of that can find the old rows back at its next start. A table dropped by hand does the same.
func ledgerDisagrees(ctx context.Context, wh warehouse.Warehouse, target materialize.Relation, table bool, rows []ledgerFile) (string, error) {
	bySeq, byPath := map[uint64]string{}, map[string]uint64{}
	var last uint64
	for _, r := range rows {
		if p, ok := bySeq[r.seq]; ok {
			return fmt.Sprintf("the ledger lists _load_seq %d twice (%s and %s)", r.seq, p, r.path), nil
		}
		if s, ok := byPath[r.path]; ok {
			return fmt.Sprintf("the ledger lists %s twice (_load_seq %d and %d)", r.path, s, r.seq), nil
		}
		bySeq[r.seq], byPath[r.path] = r.path, r.seq
		last = max(last, r.seq)
	}
	if len(rows) == 0 {
		return "", nil // nothing committed: planLoad drops whatever the table holds
	}
	held := map[uint64]bool{}
	if table {
		// GROUP BY the partition key, unlike DISTINCT, can be answered from the parts' metadata
		// (ClickHouse's implicit minmax_count projection): milliseconds for 80M rows, not 0.2 s.
		res, err := wh.Query(ctx, "SELECT _load_seq FROM "+target.String()+" WHERE _load_seq <= "+strconv.FormatUint(last, 10)+" GROUP BY _load_seq")
		if err != nil {
			return "", fmt.Errorf("read the files %s holds: %w", target, err)
		}
		for i := range res.Rows {
			seq, err := strconv.ParseUint(res.String(i, 0), 10, 64)
			if err != nil {
				return "", fmt.Errorf("%s: _load_seq %q: %w", target, res.String(i, 0), err)
			}
			held[seq] = true
		}
	}
	var missing []string
	for _, r := range rows {
		if r.loaded > 0 && !held[r.seq] {
			missing = append(missing, fmt.Sprintf("%s (_load_seq %d, %d rows)", r.path, r.seq, r.loaded))
		}
		delete(held, r.seq)
	}
	if len(missing) > 0 {
		return fmt.Sprintf("%s does not hold %s, which the ledger lists as loaded", target, strings.Join(missing, ", ")), nil
	}
	if len(held) > 0 {
		seqs := make([]uint64, 0, len(held))
		for s := range held {
			seqs = append(seqs, s)
		}
		slices.Sort(seqs)
		extra := make([]string, len(seqs))
		for i, s := range seqs {
			extra[i] = strconv.FormatUint(s, 10)
		}
		return fmt.Sprintf("%s holds rows of _load_seq %s, which the ledger does not list", target, strings.Join(extra, ", ")), nil
	}
	return "", nil
}
