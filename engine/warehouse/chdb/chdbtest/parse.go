package chdbtest

import (
	"context"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Parses asserts that ClickHouse parses sql without running it: `EXPLAIN AST` checks the syntax
// and the names of the query-level settings in SETTINGS clauses, and formatQuery's round trip
// must keep any ON CLUSTER clause (so that it was read as one, not as part of something else).
// This is how statements meant for a cluster, which the embedded engine cannot execute (no
// Keeper, no other nodes), are still checked by ClickHouse itself. Tables need not exist.
func Parses(tb testing.TB, wh warehouse.Warehouse, sql string) {
	tb.Helper()
	ctx := context.Background()
	if _, err := wh.Query(ctx, "EXPLAIN AST "+sql); err != nil {
		tb.Errorf("ClickHouse does not parse:\n%s\n%v", sql, err)
		return
	}
	// formatQuery takes the statement without inline data (what follows FORMAT on its line).
	text := sql
	if i := strings.Index(text, " FORMAT "); i >= 0 {
		if nl := strings.IndexByte(text[i:], '\n'); nl >= 0 {
			text = text[:i+nl]
		}
	}
	res, err := wh.Query(ctx, "SELECT formatQuery("+manifest.QuoteString(text)+")")
	if err != nil {
		tb.Errorf("formatQuery of:\n%s\n%v", sql, err)
		return
	}
	formatted := res.String(0, 0)
	if strings.Contains(sql, " ON CLUSTER ") != strings.Contains(formatted, " ON CLUSTER ") {
		tb.Errorf("ON CLUSTER lost or gained in the parse of:\n%s\nClickHouse reads it as:\n%s", sql, formatted)
	}
}
