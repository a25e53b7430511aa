package server

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// killTimeout bounds the KILL QUERY sent for a cancelled statement.
const killTimeout = 10 * time.Second

// Exec runs one statement that returns no rows.
func (w *Warehouse) Exec(ctx context.Context, sql string) (warehouse.Stats, error) {
	if w.conn == nil {
		return warehouse.Stats{}, errClosed
	}
	qctx, id, prog := w.statementContext(ctx)
	start := time.Now()
	if err := w.conn.Exec(qctx, sql); err != nil {
		return warehouse.Stats{}, w.fail(ctx, id, err, sql)
	}
	return prog.stats(time.Since(start)), nil
}

// Query runs one statement and returns its rows as text. A SELECT (or WITH ... SELECT) is run
// as SELECT toString(c) ... FROM (sql), with names and types from DESCRIBE TABLE (sql): the
// server formats every value exactly as it would in TSV, which is what the embedded engine
// returns. Other statements (SHOW, EXISTS, DESCRIBE) return simple types and are scanned as is.
func (w *Warehouse) Query(ctx context.Context, sql string) (*warehouse.Result, error) {
	if w.conn == nil {
		return nil, errClosed
	}
	start := time.Now()
	if !selectLike(sql) {
		return w.queryDirect(ctx, sql, start)
	}
	body := strings.TrimRight(strings.TrimSpace(sql), "; \t\r\n")
	// The newline before ")" keeps a trailing -- comment in sql from swallowing the parenthesis.
	desc, err := w.queryDirect(ctx, "DESCRIBE TABLE (\n"+body+"\n)", start)
	if err != nil {
		return nil, withSQL(err, sql)
	}
	cols := make([]warehouse.Column, len(desc.Rows))
	exprs := make([]string, len(desc.Rows))
	for i := range desc.Rows {
		cols[i] = warehouse.Column{Name: desc.String(i, 0), Type: desc.String(i, 1)}
		exprs[i] = textExpr(cols[i])
	}
	qctx, id, prog := w.statementContext(ctx)
	rows, err := w.conn.Query(qctx, "SELECT "+strings.Join(exprs, ", ")+" FROM (\n"+body+"\n)")
	if err != nil {
		return nil, w.fail(ctx, id, err, sql)
	}
	defer rows.Close()
	res := &warehouse.Result{Columns: cols, Rows: [][]any{}}
	ptrs := make([]*string, len(cols))
	dest := make([]any, len(cols))
	for i := range ptrs {
		dest[i] = &ptrs[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, w.fail(ctx, id, err, sql)
		}
		row := make([]any, len(cols))
		for i, p := range ptrs {
			if p != nil {
				row[i] = *p
			}
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, w.fail(ctx, id, err, sql)
	}
	res.Stats = prog.stats(time.Since(start))
	return res, nil
}

// textExpr is the SQL that turns a column into its TSV text, NULL kept as NULL. toString gives
// that text for every type but a top-level FixedString, whose trailing zero bytes it drops
// while TSV keeps them; concat keeps them. Nullable(String) lets one scan target fit all.
func textExpr(c warehouse.Column) string {
	inner := c.Type
	for _, wrapper := range []string{"LowCardinality(", "Nullable("} {
		inner = strings.TrimPrefix(inner, wrapper)
	}
	if strings.HasPrefix(inner, "FixedString(") {
		return "CAST(concat(" + quoteIdent(c.Name) + ", ''), 'Nullable(String)')"
	}
	return "CAST(toString(" + quoteIdent(c.Name) + "), 'Nullable(String)')"
}

// queryDirect runs sql and formats each scanned value; for statements whose columns are
// strings and integers (DESCRIBE, SHOW, EXISTS), where Go's text equals ClickHouse's.
func (w *Warehouse) queryDirect(ctx context.Context, sql string, start time.Time) (*warehouse.Result, error) {
	qctx, id, prog := w.statementContext(ctx)
	rows, err := w.conn.Query(qctx, sql)
	if err != nil {
		return nil, w.fail(ctx, id, err, sql)
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	res := &warehouse.Result{Columns: make([]warehouse.Column, len(types)), Rows: [][]any{}}
	for i, t := range types {
		res.Columns[i] = warehouse.Column{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	for rows.Next() {
		dest := make([]any, len(types))
		for i, t := range types {
			dest[i] = reflect.New(t.ScanType()).Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, w.fail(ctx, id, err, sql)
		}
		row := make([]any, len(types))
		for i, d := range dest {
			row[i] = textOf(reflect.ValueOf(d).Elem())
		}
		res.Rows = append(res.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, w.fail(ctx, id, err, sql)
	}
	res.Stats = prog.stats(time.Since(start))
	return res, nil
}

// textOf formats a scanned value; nil pointers (NULL) give nil.
func textOf(v reflect.Value) any {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	}
	return fmt.Sprint(v.Interface())
}

// leadingRe skips whitespace, comments and opening parentheses before a statement's keyword.
var leadingRe = regexp.MustCompile(`^(\s+|--[^\n]*(\n|$)|/\*(?s:.*?)\*/|\()*`)

// selectLike reports whether sql can be wrapped as a subquery.
func selectLike(sql string) bool {
	rest := strings.ToUpper(sql[len(leadingRe.FindString(sql)):])
	return strings.HasPrefix(rest, "SELECT") || strings.HasPrefix(rest, "WITH") || strings.HasPrefix(rest, "FROM")
}

// progress adds up what the native protocol reports as progress packets, or what HTTP reports
// in the X-ClickHouse-Summary header (see summaryTransport).
// Packets carry increments; report (warehouse.WithProgress) gets the running totals.
type progress struct {
	mu        sync.Mutex
	read      uint64
	wrote     uint64
	readBytes uint64
	total     uint64
	statement string
	report    func(warehouse.Progress)
}

func (p *progress) add(pr *clickhouse.Progress) {
	p.mu.Lock()
	p.read += pr.Rows
	p.wrote += pr.WroteRows
	p.readBytes += pr.Bytes
	p.total += pr.TotalRows
	now := warehouse.Progress{Statement: p.statement, ReadRows: p.read, ReadBytes: p.readBytes, TotalRows: p.total, WrittenRows: p.wrote}
	p.mu.Unlock()
	if p.report != nil {
		p.report(now)
	}
}

func (p *progress) stats(elapsed time.Duration) warehouse.Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return warehouse.Stats{RowsRead: p.read, RowsWritten: p.wrote, Elapsed: elapsed}
}

// statementContext gives a statement its own query_id, by which a cancelled one is killed.
func (w *Warehouse) statementContext(ctx context.Context) (context.Context, string, *progress) {
	id := w.idPrefix + strconv.FormatUint(w.seq.Add(1), 10)
	p := &progress{statement: id, report: warehouse.ProgressFunc(ctx)}
	return clickhouse.Context(withSummary(ctx, p), clickhouse.WithQueryID(id), clickhouse.WithProgress(p.add)), id, p
}

// fail wraps err and, when ctx ended, makes sure the server stops the statement too. The native
// protocol sends a cancel packet itself, but over HTTP a closed connection stops only read-only
// queries (cancel_http_readonly_queries_on_client_close), so an INSERT ... SELECT would run on.
func (w *Warehouse) fail(ctx context.Context, id string, err error, sql string) error {
	ctxErr := ended(ctx)
	if ctxErr == nil {
		return w.wrap("clickhouse", err, sql)
	}
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), killTimeout)
	defer cancel()
	_ = w.conn.Exec(kctx, "KILL QUERY WHERE query_id = "+quoteString(id)+" ASYNC") // best effort
	return fmt.Errorf("clickhouse: statement cancelled: %w", ctxErr)
}

// ended reports why ctx ended. Over the native protocol clickhouse-go turns a deadline into a
// socket deadline, whose timeout can arrive a moment before the context itself reports
// DeadlineExceeded; a deadline in the past counts as ended.
func ended(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// withSQL puts the caller's statement into a QueryError raised for the DESCRIBE wrapper.
func withSQL(err error, sql string) error {
	if qe, ok := err.(*warehouse.QueryError); ok {
		c := *qe
		c.SQL = sql
		return &c
	}
	return err
}

func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func quoteIdent(s string) string {
	return "`" + strings.NewReplacer(`\`, `\\`, "`", "\\`").Replace(s) + "`"
}
