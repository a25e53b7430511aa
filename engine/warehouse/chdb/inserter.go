package chdb

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/warehouse"
)

var _ warehouse.Inserter = (*Warehouse)(nil)

// Insert appends one block as INSERT ... FORMAT TabSeparated with the rows inline, the one way
// libchdb's query call takes data. The embedded engine reads files itself, so dwm uses this only
// where a server would need it; it keeps that path testable without a server.
func (w *Warehouse) Insert(ctx context.Context, table string, columns []string, data []any) (warehouse.Stats, error) {
	n, err := warehouse.BlockRows(columns, data)
	if err != nil || n == 0 {
		return warehouse.Stats{}, err
	}
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = quoteIdent(c)
	}
	head := "INSERT INTO " + table + " (" + strings.Join(quoted, ", ") + ") FORMAT TabSeparated"
	var b strings.Builder
	b.WriteString(head + "\n")
	for r := 0; r < n; r++ {
		for i, d := range data {
			if i > 0 {
				b.WriteByte('\t')
			}
			switch v := d.(type) {
			case []string:
				escapeTSV(&b, v[r])
			case []uint64:
				b.WriteString(strconv.FormatUint(v[r], 10))
			}
		}
		b.WriteByte('\n')
	}
	st, err := w.Exec(ctx, b.String())
	var qe *warehouse.QueryError
	if errors.As(err, &qe) {
		c := *qe
		c.SQL = head + " <" + strconv.Itoa(n) + " rows>" // the rows are data, not SQL worth printing
		return st, &c
	}
	if st.RowsWritten == 0 && err == nil {
		st.RowsWritten = uint64(n)
	}
	return st, err
}

// escapeTSV writes s as a TabSeparated field.
func escapeTSV(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case 0:
			b.WriteString(`\0`)
		default:
			b.WriteByte(c)
		}
	}
}
