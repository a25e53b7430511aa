package server

import (
	"context"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Progress packets carry increments; a statement that asked for progress gets running totals,
// tagged with its query_id.
func TestProgressPacketsReportTotals(t *testing.T) {
	var got []warehouse.Progress
	w := &Warehouse{idPrefix: "dwm-test-"}
	ctx := warehouse.WithProgress(context.Background(), func(p warehouse.Progress) { got = append(got, p) })
	_, id, p := w.statementContext(ctx)
	p.add(&clickhouse.Progress{Rows: 10, Bytes: 100, TotalRows: 50})
	p.add(&clickhouse.Progress{Rows: 5, Bytes: 40, WroteRows: 3})
	want := []warehouse.Progress{
		{Statement: id, ReadRows: 10, ReadBytes: 100, TotalRows: 50},
		{Statement: id, ReadRows: 15, ReadBytes: 140, TotalRows: 50, WrittenRows: 3},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if st := p.stats(0); st.RowsRead != 15 || st.RowsWritten != 3 {
		t.Fatalf("stats %+v", st)
	}
}
