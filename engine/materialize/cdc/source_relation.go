package cdc

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// A relation input is any table or view (a declared source, another model) that a CDC tool keeps
// appending to, with a cursor column that grows with every delivery (_peerdb_version, a Kafka
// offset, a synced-at time). One run applies one batch: the rows whose cursor is in
// (committed mark, highest cursor seen]. The ledger row that commits the batch records the new mark
// (cursor_to) and how many rows of the input were at or below it (cursor_rows); a later run that
// counts more rows at or below its mark knows that rows arrived behind the cursor, and only then
// pays for the anti-join that tells re-deliveries (ignored) from late rows (quarantined once).

// CursorBatch is the batch a relation input gives this run; it is part of Input.Prepared.
type CursorBatch struct {
	// Column is the cursor column and Type its ClickHouse type.
	Column, Type string
	// From is the committed mark as text ("" before the first batch); To is the highest cursor
	// this batch reads (From when nothing is new).
	From, To string
	// New counts the rows in (From, To]; Below the rows at or below From now, and Recorded the rows
	// at or below From when the mark was committed.
	New, Below, Recorded uint64
}

// Empty reports a run with nothing to do: no new rows and none behind the cursor.
func (c *CursorBatch) Empty() bool { return c.New == 0 && c.Below == c.Recorded }

// LateCheck reports that rows arrived at or below the committed mark since it was committed.
func (c *CursorBatch) LateCheck() bool { return c.From != "" && c.Below > c.Recorded }

// literal is v as a constant of the cursor's type.
func (c *CursorBatch) literal(v string) string {
	return "CAST(" + manifest.QuoteString(v) + ", " + manifest.QuoteString(c.Type) + ")"
}

// rangeCond selects the batch's rows: cursor in (From, To].
func (c *CursorBatch) rangeCond() string {
	col := manifest.QuoteIdent(c.Column)
	cond := col + " <= " + c.literal(c.To)
	if c.From != "" {
		cond = col + " > " + c.literal(c.From) + " AND " + cond
	}
	return cond
}

// belowCond selects the rows at or below the committed mark.
func (c *CursorBatch) belowCond() string {
	return manifest.QuoteIdent(c.Column) + " <= " + c.literal(c.From)
}

// cursorMark is the last cursor a model committed.
type cursorMark struct {
	to    string
	rows  uint64
	batch uint64
}

// readCursorMark reads the model's latest cursor mark from its ledger rows of the given kinds.
// A ledger created before relation inputs existed has no cursor columns and so no mark.
func readCursorMark(ctx context.Context, wh warehouse.Warehouse, n *manifest.Node, kinds ...string) (cursorMark, error) {
	var m cursorMark
	l := ledgerOf(n)
	ok, err := columnExists(ctx, wh, l, "cursor_rows")
	if err != nil || !ok {
		return m, err
	}
	res, err := wh.Query(ctx, "SELECT cursor_to, cursor_rows, batch FROM "+l.String()+" WHERE model = "+manifest.QuoteString(modelKey(n))+
		" AND kind IN ("+quoteList(kinds)+") ORDER BY batch DESC, cursor_rows DESC LIMIT 1")
	if err != nil {
		return m, fmt.Errorf("read ledger %s: %w", l, err)
	}
	if len(res.Rows) == 0 {
		return m, nil
	}
	m.to = res.String(0, 0)
	if m.rows, err = strconv.ParseUint(res.String(0, 1), 10, 64); err != nil {
		return m, fmt.Errorf("ledger cursor_rows %q: %w", res.String(0, 1), err)
	}
	if m.batch, err = strconv.ParseUint(res.String(0, 2), 10, 64); err != nil {
		return m, fmt.Errorf("ledger batch %q: %w", res.String(0, 2), err)
	}
	return m, nil
}

// prepareCursor finds this run's batch of a relation input: it counts the input's rows on both
// sides of the committed mark (one scan of the cursor column). rebuild is set when the input holds
// fewer rows at or below the mark than when the mark was committed: rows the model was built from
// are gone, so the model must be rebuilt from what the input holds now.
func prepareCursor(ctx context.Context, wh warehouse.Warehouse, sql string, cols []warehouse.Column, column string, mark cursorMark) (c *CursorBatch, rebuild string, err error) {
	c = &CursorBatch{Column: column, From: mark.to, Recorded: mark.rows}
	for _, col := range cols {
		if col.Name == column {
			c.Type = col.Type
		}
	}
	switch {
	case c.Type == "":
		return nil, "", fmt.Errorf("the SELECT has no cursor column %q (set config cursor to the column that grows with every delivery)", column)
	case strings.HasPrefix(c.Type, "Nullable"):
		return nil, "", fmt.Errorf("cursor column %q is %s; a cursor must not be NULL", column, c.Type)
	}
	col := manifest.QuoteIdent(column)
	from := "false"
	if c.From != "" {
		from = col + " <= " + c.literal(c.From)
	}
	res, err := wh.Query(ctx, "SELECT toString(max("+col+")), toString(maxIf("+col+", NOT ("+from+"))), countIf(NOT ("+from+")), countIf("+from+
		") FROM (\n"+trimSQL(sql)+"\n)")
	if err != nil {
		return nil, "", fmt.Errorf("read the cursor %s of the input: %w", column, err)
	}
	counts, err := parseUints(&warehouse.Result{Rows: [][]any{res.Rows[0][2:]}}, 0, 2)
	if err != nil {
		return nil, "", err
	}
	c.New, c.Below = counts[0], counts[1]
	if c.From != "" && c.Below < c.Recorded {
		rebuild = fmt.Sprintf("the input now holds %d rows with %s at or below %s, fewer than the %d it held when that mark was committed",
			c.Below, column, c.From, c.Recorded)
		c.From, c.Recorded, c.Below = "", 0, 0
		c.New = counts[0] + counts[1]
		c.To = res.String(0, 0)
		return c, rebuild, nil
	}
	c.To = c.From
	if c.New > 0 {
		c.To = res.String(0, 1)
	}
	return c, "", nil
}

// columnExists reports whether relation r has the column.
func columnExists(ctx context.Context, wh warehouse.Warehouse, r materialize.Relation, column string) (bool, error) {
	res, err := wh.Query(ctx, "SELECT count() FROM system.columns WHERE database = "+manifest.QuoteString(r.Database)+
		" AND table = "+manifest.QuoteString(r.Name)+" AND name = "+manifest.QuoteString(column))
	if err != nil {
		return false, fmt.Errorf("look up %s.%s: %w", r, column, err)
	}
	return len(res.Rows) == 1 && res.String(0, 0) != "0", nil
}

func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = manifest.QuoteString(v)
	}
	return strings.Join(q, ", ")
}

func trimSQL(sql string) string { return strings.TrimRight(strings.TrimSpace(sql), "; \t\r\n") }
