package chdb

import (
	"context"
	"fmt"
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
