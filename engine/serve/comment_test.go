package serve_test

import (
	"testing"

	"github.com/dwmhq/dwm/engine/serve"
	"github.com/dwmhq/dwm/engine/serve/core"
)

// TestQueryEndingInComment: a query whose text ends in a "-- comment" streams its answer like any
// other. The INTO OUTFILE clause that streams it went after the comment, so the engine read it
// as part of the comment, buffered the whole answer in memory and sent the client nothing.
func TestQueryEndingInComment(t *testing.T) {
	e := start(t, core.Options{}, serve.Options{})
	ok(t, "line comment", e.get(t, "SELECT number FROM numbers(3) -- three rows", nil), "0\n1\n2\n")
	ok(t, "block comment", e.get(t, "SELECT 'x' /* one */", nil), "x\n")
}
