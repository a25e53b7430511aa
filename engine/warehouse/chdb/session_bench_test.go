package chdb

import (
	"context"
	"io"
	"testing"
)

// BenchmarkConn measures the pieces of a served request: connecting and closing a Conn, a
// small statement buffered, and the same statement streamed through a named pipe.
func BenchmarkConn(b *testing.B) {
	w := openTest(b, Options{Conns: 1})
	ctx := context.Background()
	b.Run("connect-close", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c, err := w.Connect(ctx)
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
	})
	c, err := w.Connect(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.Run("query", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := c.Query(ctx, Stmt{SQL: "SELECT 1"}, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stream", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := c.QueryStream(ctx, Stmt{SQL: "SELECT 1"}, len("SELECT 1"), io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("classify", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, _, err := c.Classify("SELECT 1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
