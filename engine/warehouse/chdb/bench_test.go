package chdb

import (
	"context"
	"testing"
)

// BenchmarkTrivialQuery is the fixed cost of one statement: pool, tag, C call, decode.
func BenchmarkTrivialQuery(b *testing.B) {
	w := openTest(b, Options{})
	ctx := context.Background()
	for b.Loop() {
		if _, err := w.Query(ctx, "SELECT 1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrivialExec is the same without a result set, as a runner's DDL sees it.
func BenchmarkTrivialExec(b *testing.B) {
	w := openTest(b, Options{})
	ctx := context.Background()
	for b.Loop() {
		if _, err := w.Exec(ctx, "SELECT 1"); err != nil {
			b.Fatal(err)
		}
	}
}
