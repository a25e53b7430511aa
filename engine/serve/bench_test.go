package serve_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/serve"
	"github.com/dwmhq/dwm/engine/serve/core"
)

// BenchmarkRequest measures one small request end to end on loopback: a fresh engine connection
// (no session) or a session's, through the streamed (SELECT) or the buffered (SHOW) path.
func BenchmarkRequest(b *testing.B) {
	for _, c := range []struct{ name, sql, session, database string }{
		{"select", "SELECT 1", "", ""},
		// As ClickHouse clients (clickhouse-go, dwm's server target) send every statement: naming
		// the database the server was opened in.
		{"select-naming-database", "SELECT 1", "", servedDB},
		{"select-in-session", "SELECT 1", "bench", ""},
		{"show", "SHOW DATABASES", "", ""},
		{"insert", "INSERT INTO default.bench_t VALUES (1)", "", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := start(b, core.Options{}, serve.Options{})
			if _, err := shared.Warehouse(b).Exec(b.Context(), "CREATE TABLE IF NOT EXISTS default.bench_t (x UInt8) ENGINE = Memory"); err != nil {
				b.Fatal(err)
			}
			p := url.Values{}
			if c.session != "" {
				p.Set("session_id", c.session)
			}
			if c.database != "" {
				p.Set("database", c.database)
			}
			u := e.base + "/?" + p.Encode()
			client := &http.Client{}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(c.sql))
				req.SetBasicAuth("default", password)
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
		})
	}
}
