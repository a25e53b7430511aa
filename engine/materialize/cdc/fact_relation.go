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

// A fact model without a files config reads a relation (a source a CDC tool or Kafka fills, or
// another model) by cursor, like scd2 does: each run's cursor range is one batch, loaded into its
// own partition (_load_seq = the batch number) with the same rules as files: the first delivery of a
// unique_key wins, quarantine_if rules send rows to quarantine, and the ledger row commits it.

// kindCursor is the ledger row of a relation batch that loaded nothing: it records the cursor mark
// (and rows at or below it) without using up a batch number, so _load_seq numbers only the batches
// that added rows.
const kindCursor = "cursor"

// FactRelationBatch is what Prepare found for a fact model that reads a relation; it is
// Input.Prepared.
type FactRelationBatch struct {
	// Columns are the model SELECT's output columns.
	Columns []warehouse.Column
	// Committed is the last batch that loaded rows (0: none, a full refresh or a rebuild).
	Committed uint64
	// Rebuild, when not empty, says why the table no longer matches its input.
	Rebuild string
	Cursor  *CursorBatch
	// Rules are the quarantine_if rules with ref('x') resolved.
	Rules []Rule
}

// factReadsRelation reports a fact model with no files config: its SELECT is the input.
func factReadsRelation(n *manifest.Node) bool {
	return strings.TrimSpace(n.Config.String("files")) == ""
}

// prepareFactRelation reads the SELECT's columns, the committed mark and this run's cursor range.
func prepareFactRelation(ctx context.Context, wh warehouse.Warehouse, in *materialize.Input, env materialize.PrepareEnv) (*FactRelationBatch, error) {
	n := in.Node
	if strings.TrimSpace(commentLine.ReplaceAllString(in.SQL, "")) == "" {
		return nil, fmt.Errorf("a fact model needs config files or a SELECT of the relation to load")
	}
	b := &FactRelationBatch{}
	desc, err := wh.Query(ctx, "DESCRIBE TABLE ("+trimSQL(in.SQL)+")")
	if err != nil {
		return nil, fmt.Errorf("read the columns of the model's SELECT: %w", err)
	}
	for i := range desc.Rows {
		c := warehouse.Column{Name: desc.String(i, 0), Type: desc.String(i, 1)}
		if c.Name == "inserted_at" || c.Name == "_load_seq" {
			return nil, fmt.Errorf("column %q of the SELECT is reserved for dwm's bookkeeping; rename it", c.Name)
		}
		b.Columns = append(b.Columns, c)
	}
	cursor := n.Config.String("cursor")
	if cursor == "" {
		f, err := formatOf(n, b.Columns)
		if err != nil {
			return nil, err
		}
		cursor = f.cursor
	}
	if cursor == "" {
		return nil, fmt.Errorf("a fact model that reads a relation needs config cursor: the column that grows with every delivery")
	}
	var mark cursorMark
	if !in.FullRefresh {
		if mark, err = readCursorMark(ctx, wh, n, kindBatch, kindCursor); err != nil {
			return nil, err
		}
		l := ledgerOf(n)
		res, err := queryLedger(ctx, wh, l, "SELECT max(batch) FROM "+l.String()+" WHERE model = "+manifest.QuoteString(modelKey(n))+" AND kind = 'batch'")
		if err != nil {
			return nil, err
		}
		if len(res.Rows) == 1 {
			if b.Committed, err = strconv.ParseUint(res.String(0, 0), 10, 64); err != nil {
				return nil, fmt.Errorf("ledger batch %q: %w", res.String(0, 0), err)
			}
		}
	}
	if b.Cursor, b.Rebuild, err = prepareCursor(ctx, wh, in.SQL, b.Columns, cursor, mark); err != nil {
		return nil, err
	}
	if b.Rebuild != "" {
		b.Committed = 0
	}
	if b.Rules, err = resolveRules(n, env); err != nil {
		return nil, err
	}
	return b, nil
}

// planFactRelation loads this run's cursor range as partition N = Committed+1 of the target.
func planFactRelation(in materialize.Input, b *FactRelationBatch) ([]materialize.Step, error) {
	if err := materialize.CheckSuffix(in.Suffix); err != nil {
		return nil, err
	}
	if len(in.Node.Config.UniqueKey) == 0 {
		return nil, fmt.Errorf("fact needs unique_key")
	}
	target := materialize.Target(in.Node)
	quar := suffixed(target, quarantineSuffix)
	ledger := ledgerOf(in.Node)
	model := modelKey(in.Node)
	cols := append(append([]warehouse.Column{}, b.Columns...), warehouse.Column{Name: "inserted_at", Type: "DateTime"},
		warehouse.Column{Name: "_load_seq", Type: "UInt64"})
	quarCols := append(append([]warehouse.Column{}, b.Columns...), warehouse.Column{Name: "_load_seq", Type: "UInt64"},
		warehouse.Column{Name: "reason", Type: "String"})
	if in.State.Kind == materialize.View || in.State.Kind == materialize.Other {
		return nil, fmt.Errorf("%s exists as %s; drop it or run with --full-refresh", target, in.State.Engine)
	}
	full := in.FullRefresh || b.Rebuild != ""
	if !full && in.State.Kind == materialize.Table && !sameColumns(in.State.Columns, cols) {
		return nil, fmt.Errorf("the columns of %s changed (table has %s, the SELECT gives %s); run with --full-refresh",
			target, columnList(in.State.Columns), columnList(cols))
	}
	scope := strings.TrimSpace(in.Node.Config.String("dedupe_scope"))
	keys := quoteAll(in.Node.Config.UniqueKey)
	for _, k := range append(append([]string{}, in.Node.Config.UniqueKey...), scope) {
		if k != "" && !hasColumn(b.Columns, strings.TrimSpace(k)) {
			return nil, fmt.Errorf("column %q (unique_key or dedupe_scope) is not in the SELECT", k)
		}
	}
	orderBy, err := factOrderBy(in.Node, scope)
	if err != nil {
		return nil, err
	}
	steps := []materialize.Step{createLedger(ledger, in.Caps), addCursorColumns(ledger, in.Caps), materialize.CleanupTemps(target, in.Caps)}
	if full {
		steps = append(steps, forgetModel(ledger, model, kindBatch, in.Caps), forgetModel(ledger, model, kindCursor, in.Caps),
			materialize.Step{Purpose: "drop " + target.String(), SQL: dropTable(target, in.Caps)},
			materialize.Step{Purpose: "drop " + quar.String(), SQL: dropTable(quar, in.Caps)})
	}
	c := strconv.FormatUint(b.Committed, 10)
	steps = append(steps,
		materialize.Step{Purpose: "create " + target.String(), SQL: createTable(target, true, in.Caps) +
			" (" + columnDefs(cols) + ") ENGINE = " + mergeTree(in.Caps) + " PARTITION BY _load_seq ORDER BY " + orderBy},
		materialize.Step{Purpose: "create " + quar.String(), SQL: createTable(quar, true, in.Caps) +
			" (" + columnDefs(quarCols) + ") ENGINE = " + mergeTree(in.Caps) + " PARTITION BY _load_seq ORDER BY tuple()"})
	if !full {
		steps = append(steps,
			dropPartitionsWhere("drop uncommitted batches from "+target.String(), target, "_load_seq > "+c, in.Caps),
			dropPartitionsWhere("drop uncommitted batches from "+quar.String(), quar, "_load_seq > "+c, in.Caps))
	}
	if b.Cursor.Empty() {
		return steps, nil
	}
	return append(steps, factBatchSteps(in, b, target, quar, cols, scope, keys)...), nil
}

func factBatchSteps(in materialize.Input, b *FactRelationBatch, target, quar materialize.Relation, cols []warehouse.Column, scope string, keys []string) []materialize.Step {
	N := strconv.FormatUint(b.Committed+1, 10)
	cls := materialize.TempRelation(target, in.Suffix+"c"+N)
	dups := materialize.TempRelation(target, in.Suffix+"d"+N)
	rows := materialize.TempRelation(target, in.Suffix+"t"+N)
	qrows := materialize.TempRelation(target, in.Suffix+"q"+N)
	c := b.Cursor
	cursor := manifest.QuoteIdent(c.Column)
	key := strings.Join(keys, ", ")
	sql := trimSQL(in.SQL)
	prefix := "batch " + N + ": "
	all := columnNames(b.Columns)

	reason := "''"
	if len(b.Rules) > 0 {
		var parts []string
		for _, r := range b.Rules {
			parts = append(parts, "("+r.When+")", manifest.QuoteString(r.Reason))
		}
		reason = "multiIf(" + strings.Join(parts, ", ") + ", '')"
	}
	input := "SELECT *, " + reason + " AS _reason, false AS _below FROM (\n" + sql + "\n) WHERE " + c.rangeCond()
	if c.LateCheck() {
		// Rows behind the cursor whose key was neither loaded nor quarantined arrived late; the
		// others are re-deliveries of rows already accounted for.
		// An anti join, not NOT IN: the right side is every key loaded so far.
		input += "\nUNION ALL SELECT " + all + ", concat(" + manifest.QuoteString(c.Column+" ") + ", toString(" + cursor + "), " +
			manifest.QuoteString(" is at or below "+c.From+", the cursor committed before it arrived") + "), true FROM (SELECT * FROM (\n" + sql +
			"\n) WHERE " + c.belowCond() + ") AS b LEFT ANTI JOIN (SELECT " + key + " FROM " + target.String() + " WHERE _load_seq < " + N +
			" UNION ALL SELECT " + key + " FROM " + quar.String() + " WHERE _load_seq < " + N + ") AS e USING (" + key + ")"
	}
	earlier := "SELECT " + key + " FROM " + target.String() + " WHERE _load_seq < " + N
	if scope != "" {
		s := manifest.QuoteIdent(scope)
		earlier += " AND " + s + " IN (SELECT DISTINCT " + s + " FROM " + cls.String() + " WHERE _reason = '')"
	}
	counts := "SELECT (SELECT count() FROM " + cls.String() + ") AS delivered, (SELECT countIf(NOT _below) FROM " + cls.String() + ") AS in_range, " +
		"(SELECT count() FROM " + target.String() + " WHERE _load_seq = " + N + ") AS loaded, (SELECT uniqExact(_n) FROM " + dups.String() +
		") AS duplicates, (SELECT count() FROM " + quar.String() + " WHERE _load_seq = " + N + ") AS quarantined"
	// Both temporary tables are created empty, then filled (createFilled): a kill inside a
	// CREATE TABLE ... AS SELECT would leave a table no later run can tie to dwm.
	steps := createFilled(prefix+"read and classify the rows of cursor range ("+c.From+", "+c.To+"]", cls, "tuple()",
		"SELECT *, rowNumberInAllBlocks() AS _n FROM (\n"+input+"\n)", "", in.Caps)
	// The first delivery (in cursor order) of a key wins; a key loaded by an earlier batch
	// makes the row a duplicate. Only their row numbers (_n) are collected, as the file path
	// does with _row; a cursor may repeat (a message re-delivered with its offset).
	steps = append(steps, createFilled(prefix+"find the duplicates", dups, "_n", "SELECT _n FROM "+
		cls.String()+" AS c LEFT SEMI JOIN ("+earlier+") AS e USING ("+key+") WHERE c._reason = '' UNION ALL SELECT _n FROM (SELECT _n, "+
		key+" FROM "+cls.String()+" WHERE _reason = '' ORDER BY "+cursor+", _n LIMIT 1, 18446744073709551615 BY "+key+")", "", in.Caps)...)
	caps := in.Caps
	good := insert(prefix+"keep the good rows", rows, columnNames(cols), "SELECT "+all+", now(), "+N+" FROM "+cls.String()+
		" WHERE _reason = '' AND _n NOT IN (SELECT _n FROM "+dups.String()+")", caps)
	good[0].CountRows = true
	steps = append(steps, materialize.Step{Purpose: "create " + rows.String(), SQL: createTable(rows, false, caps) + " AS " + target.String()})
	steps = append(steps, good...)
	steps = append(steps, materialize.Step{Purpose: "create " + qrows.String(), SQL: createTable(qrows, false, caps) + " AS " + quar.String()})
	steps = append(steps, insert(prefix+"quarantine the bad and late rows", qrows, "", "SELECT "+all+", "+N+", _reason FROM "+
		cls.String()+" WHERE _reason != ''", caps)...)
	steps = append(steps,
		materialize.Step{Purpose: prefix + "swap into " + target.String(), SQL: replacePartition(target, rows, N, caps)},
		materialize.Step{Purpose: prefix + "swap into " + quar.String(), SQL: replacePartition(quar, qrows, N, caps)},
		materialize.Step{Purpose: prefix + "reconcile and commit in the ledger", SQL: counts, Expand: func(res *warehouse.Result) ([]string, error) {
			return commitFactBatch(in, b, res)
		}})
	for _, t := range []materialize.Relation{cls, dups, rows, qrows} {
		steps = append(steps, materialize.Step{Purpose: prefix + "drop " + t.String(), SQL: dropTable(t, in.Caps)})
	}
	return steps
}

// commitFactBatch checks loaded + duplicates + quarantined = delivered and writes the ledger row:
// kind batch when rows landed, else kind cursor, which keeps the batch number for the next batch.
func commitFactBatch(in materialize.Input, b *FactRelationBatch, res *warehouse.Result) ([]string, error) {
	N := b.Committed + 1
	if len(res.Rows) != 1 {
		return nil, fmt.Errorf("counting batch %d: %d rows", N, len(res.Rows))
	}
	v, err := parseUints(res, 0, 5)
	if err != nil {
		return nil, err
	}
	delivered, inRange, loaded, dups, quarantined := v[0], v[1], v[2], v[3], v[4]
	model := modelKey(in.Node)
	if sum := loaded + dups + quarantined; sum != delivered {
		return nil, fmt.Errorf("batch %d of %s does not reconcile, so it is not committed: %d rows delivered, but %d loaded + %d duplicates + %d quarantined = %d",
			N, model, delivered, loaded, dups, quarantined, sum)
	}
	kind := kindBatch
	if loaded+quarantined == 0 {
		kind = kindCursor
	}
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	l := ledgerOf(in.Node)
	return append([]string{materialize.InsertInto(l, "model, kind, batch, cursor_to, cursor_rows, delivered, loaded, duplicates, quarantined, loaded_at", in.Caps) +
		" SELECT " + strings.Join([]string{manifest.QuoteString(model), manifest.QuoteString(kind), u(N),
		manifest.QuoteString(b.Cursor.To), u(b.Cursor.Below + inRange), u(delivered), u(loaded), u(dups), u(quarantined), "now()"}, ", ")},
		syncSQL(l, in.Caps)...), nil
}

// reportFactRelation sums the ledger rows this run wrote.
func reportFactRelation(ctx context.Context, wh warehouse.Warehouse, in materialize.Input, b *FactRelationBatch) (string, error) {
	if b.Cursor == nil || b.Cursor.Empty() {
		return "no new rows", nil
	}
	l := ledgerOf(in.Node)
	res, err := wh.Query(ctx, "SELECT sum(delivered), sum(loaded), sum(duplicates), sum(quarantined) FROM (SELECT * FROM "+l.String()+
		" WHERE model = "+manifest.QuoteString(modelKey(in.Node))+" AND kind IN ('batch', 'cursor') ORDER BY batch DESC, cursor_rows DESC LIMIT 1)")
	if err != nil {
		return "", fmt.Errorf("report %s: %w", in.Node.UniqueID, err)
	}
	return runMessage(b.Rebuild, res, "rows", "loaded", "duplicates", "quarantined"), nil
}
