package server

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/dwmhq/dwm/engine/warehouse"
)

var _ warehouse.Inserter = (*Warehouse)(nil)

// Insert appends one block through clickhouse-go's batch API: the rows travel as a Native block
// (the body of INSERT ... FORMAT Native over HTTP), column by column, never as SQL text. The
// column types come from the data, so no DESCRIBE round trip is needed.
func (w *Warehouse) Insert(ctx context.Context, table string, columns []string, data []any) (warehouse.Stats, error) {
	if w.conn == nil {
		return warehouse.Stats{}, errClosed
	}
	n, err := warehouse.BlockRows(columns, data)
	if err != nil || n == 0 {
		return warehouse.Stats{}, err
	}
	quoted := make([]string, len(columns))
	types := make([]clickhouse.ColumnNameAndType, len(columns))
	for i, c := range columns {
		quoted[i] = quoteIdent(c)
		types[i] = clickhouse.ColumnNameAndType{Name: c, Type: "String"}
		if _, ok := data[i].([]uint64); ok {
			types[i].Type = "UInt64"
		}
	}
	stmt := "INSERT INTO " + table + " (" + strings.Join(quoted, ", ") + ")"
	shown := stmt + " <" + strconv.Itoa(n) + " rows>"
	start := time.Now()
	qctx, id, prog := w.statementContext(ctx)
	batch, err := w.conn.PrepareBatch(clickhouse.Context(qctx, clickhouse.WithColumnNamesAndTypes(types)), stmt)
	if err != nil {
		return warehouse.Stats{}, w.fail(ctx, id, err, shown)
	}
	defer batch.Abort()
	for i, d := range data {
		if err := batch.Column(i).Append(d); err != nil {
			return warehouse.Stats{}, w.fail(ctx, id, err, shown)
		}
	}
	if err := batch.Send(); err != nil {
		return warehouse.Stats{}, w.fail(ctx, id, err, shown)
	}
	st := prog.stats(time.Since(start))
	if st.RowsWritten == 0 {
		st.RowsWritten = uint64(n)
	}
	return st, nil
}
