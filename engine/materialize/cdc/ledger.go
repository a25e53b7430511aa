package cdc

import (
	"context"
	"fmt"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// LedgerName is the table, in each model's database, that records loaded files and committed
// batches.
const LedgerName = "dwm_ledger"

// Ledger kinds.
const (
	kindFile  = "file"
	kindBatch = "batch"
)

// ledgerOf is the ledger of the database a model lives in.
func ledgerOf(n *manifest.Node) materialize.Relation {
	return materialize.Relation{Database: n.Database, Name: LedgerName}
}

// modelKey names a model in the ledger by its relation, which is what its rows describe.
func modelKey(n *manifest.Node) string { return n.Database + "." + n.Alias }

// createLedger is idempotent; ORDER BY model first keeps each model's rows together, so reading
// them stays cheap however many models share the database.
func createLedger(l materialize.Relation, caps warehouse.Capabilities) materialize.Step {
	return materialize.Step{Purpose: "create ledger " + l.String(), SQL: createTable(l, true, caps) +
		" (model String, kind LowCardinality(String), file String, sha256 String, seq UInt64," +
		" delivered UInt64, loaded UInt64, duplicates UInt64, quarantined UInt64," +
		" batch UInt64, seq_from UInt64, seq_to UInt64, loaded_at DateTime" + ledgerObjectColumns + ")" +
		" ENGINE = " + mergeTree(caps) + " ORDER BY (model, kind, seq, batch)"}
}

// ledgerObjectColumns fingerprint an object (s3://) as its store lists it; empty and 0 for files.
const ledgerObjectColumns = ", etag String, size UInt64"

// upgradeLedger adds the object columns to a ledger created before they existed, so that one
// dwm can read ledgers written by an older one. It costs one query when nothing is missing.
func upgradeLedger(ctx context.Context, wh warehouse.Warehouse, l materialize.Relation, caps warehouse.Capabilities) error {
	res, err := wh.Query(ctx, "SELECT count() FROM system.columns WHERE database = "+manifest.QuoteString(l.Database)+
		" AND table = "+manifest.QuoteString(l.Name)+" AND name IN ('file', 'etag', 'size')")
	if err != nil {
		return fmt.Errorf("look up %s: %w", l, err)
	}
	if n := res.String(0, 0); n == "0" || n == "3" { // no ledger yet, or up to date
		return nil
	}
	if _, err := wh.Exec(ctx, alterTable(l, caps)+" ADD COLUMN IF NOT EXISTS etag String, ADD COLUMN IF NOT EXISTS size UInt64"); err != nil {
		return fmt.Errorf("upgrade %s: %w", l, err)
	}
	return nil
}

// addCursorColumns adds, to a ledger created without them, the columns that scd2 and relation
// inputs write: superseded (scd2 changes overtaken at the same instant), cursor_to (the committed
// cursor mark, as text) and cursor_rows (the input's rows at or below it). Additive, so ledgers
// of every age keep working.
func addCursorColumns(l materialize.Relation, caps warehouse.Capabilities) materialize.Step {
	return materialize.Step{Purpose: "add the cursor columns to ledger " + l.String(), SQL: alterTable(l, caps) +
		" ADD COLUMN IF NOT EXISTS superseded UInt64, ADD COLUMN IF NOT EXISTS cursor_to String, ADD COLUMN IF NOT EXISTS cursor_rows UInt64"}
}

// forgetModel deletes a model's ledger rows for a full refresh. It runs before anything else is
// dropped, so a crash after it leaves a model that the next run rebuilds from nothing.
func forgetModel(l materialize.Relation, model, kind string, caps warehouse.Capabilities) materialize.Step {
	return materialize.Step{Purpose: "forget " + model + " in the ledger", SQL: materialize.DeleteWhere(l,
		"model = "+manifest.QuoteString(model)+" AND kind = "+manifest.QuoteString(kind), caps)}
}

// tableExists reports whether db.name exists.
func tableExists(ctx context.Context, wh warehouse.Warehouse, r materialize.Relation) (bool, error) {
	res, err := wh.Query(ctx, "SELECT count() FROM system.tables WHERE database = "+manifest.QuoteString(r.Database)+
		" AND name = "+manifest.QuoteString(r.Name))
	if err != nil {
		return false, fmt.Errorf("look up %s: %w", r, err)
	}
	return len(res.Rows) == 1 && res.String(0, 0) != "0", nil
}

// queryLedger runs a ledger query, returning no rows when the ledger does not exist yet.
func queryLedger(ctx context.Context, wh warehouse.Warehouse, l materialize.Relation, sql string) (*warehouse.Result, error) {
	ok, err := tableExists(ctx, wh, l)
	if err != nil || !ok {
		return &warehouse.Result{}, err
	}
	res, err := wh.Query(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("read ledger %s: %w", l, err)
	}
	return res, nil
}

// dropPartitionsWhere drops the partitions of r that hold rows matching cond. The partitions are
// found through the _partition_id virtual column with cond on partition-key columns only, so
// ClickHouse prunes to those partitions instead of scanning the table.
func dropPartitionsWhere(purpose string, r materialize.Relation, cond string, caps warehouse.Capabilities) materialize.Step {
	return dropPartitionIDs(purpose, r, caps, "SELECT DISTINCT _partition_id FROM "+r.String()+" WHERE "+cond+" ORDER BY _partition_id")
}

// dropPartitionIDs drops the partitions of r whose ids the query returns; dropping an id that
// has no parts is a no-op.
func dropPartitionIDs(purpose string, r materialize.Relation, caps warehouse.Capabilities, query string) materialize.Step {
	return materialize.Step{
		Purpose: purpose,
		SQL:     query,
		Expand: func(res *warehouse.Result) ([]string, error) {
			out := make([]string, 0, len(res.Rows))
			for i := range res.Rows {
				out = append(out, materialize.DropPartition(r, res.String(i, 0), caps))
			}
			return out, nil
		},
	}
}

// dropTable drops r on every node of caps' target.
func dropTable(r materialize.Relation, caps warehouse.Capabilities) string {
	return materialize.DropTableSQL(r, caps)[0]
}

// suffixed is a relation named after target with a suffix; used for the side tables
// (`<model>__quarantine`, `<model>__versions`, `<model>__current_parts`).
func suffixed(target materialize.Relation, suffix string) materialize.Relation {
	return materialize.Relation{Database: target.Database, Name: target.Name + suffix}
}
