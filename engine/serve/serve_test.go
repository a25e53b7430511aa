package serve_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/serve"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

var shared chdbtest.Shared

const password = "serve-test-pw"

func TestMain(m *testing.M) {
	os.Exit(shared.Run(m, chdb.Options{Conns: 4}))
}

// start serves the shared warehouse on an ephemeral port for one test.
func start(t *testing.T) (string, string) {
	t.Helper()
	wh, db := shared.Database(t, "serve_")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve.New(wh, serve.Options{Password: password}).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String(), db
}

// do sends one request and returns status, the exception-code header and the body.
func do(t *testing.T, req *http.Request) (int, string, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("X-ClickHouse-Exception-Code"), string(b)
}

func get(t *testing.T, base, query string, params url.Values) (int, string, string) {
	t.Helper()
	if params == nil {
		params = url.Values{}
	}
	params.Set("query", query)
	req, _ := http.NewRequest(http.MethodGet, base+"/?"+params.Encode(), nil)
	req.SetBasicAuth("default", password)
	return do(t, req)
}

func post(t *testing.T, base string, params url.Values, body io.Reader, hdr map[string]string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/?"+params.Encode(), body)
	req.Header.Set("X-ClickHouse-User", "default")
	req.Header.Set("X-ClickHouse-Key", password)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func TestHTTPInterface(t *testing.T) {
	base, db := start(t)
	if res, err := http.Get(base + "/ping"); err != nil || res.StatusCode != 200 {
		t.Fatalf("ping: %v %v", res, err)
	} else if b, _ := io.ReadAll(res.Body); string(b) != "Ok.\n" {
		t.Errorf("ping = %q", b)
	}
	in := url.Values{"database": {db}}
	steps := []struct {
		name   string
		status int
		body   string
		run    func() (int, string, string)
	}{
		{"create via POST body", 200, "", func() (int, string, string) {
			return post(t, base, in, strings.NewReader("CREATE TABLE t (id UInt32, s String) ENGINE = MergeTree ORDER BY id"), nil)
		}},
		{"insert CSV data after query param", 200, "", func() (int, string, string) {
			return post(t, base, url.Values{"database": {db}, "query": {"INSERT INTO t FORMAT CSV"}}, strings.NewReader("1,a\n2,\"b,c\"\n"), nil)
		}},
		{"gzip body", 200, "", func() (int, string, string) {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write([]byte("INSERT INTO t VALUES (3, 'z')"))
			zw.Close()
			return post(t, base, in, &buf, map[string]string{"Content-Encoding": "gzip"})
		}},
		{"select TSV by default", 200, "1\ta\n2\tb,c\n3\tz\n", func() (int, string, string) {
			return get(t, base, "SELECT * FROM t ORDER BY id", url.Values{"database": {db}})
		}},
		{"default_format", 200, "{\"id\":1}\n", func() (int, string, string) {
			return get(t, base, "SELECT id FROM t ORDER BY id LIMIT 1", url.Values{"database": {db}, "default_format": {"JSONEachRow"}})
		}},
		{"FORMAT clause wins", 200, "\"id\"\n1\n", func() (int, string, string) {
			return get(t, base, "SELECT id FROM t ORDER BY id LIMIT 1 FORMAT CSVWithNames", url.Values{"database": {db}, "default_format": {"JSON"}})
		}},
		{"query parameters", 200, "42\n", func() (int, string, string) {
			return get(t, base, "SELECT {x:UInt8} * 2", url.Values{"param_x": {"21"}})
		}},
		{"settings apply to one request", 200, "1\n", func() (int, string, string) {
			return get(t, base, "SELECT getSetting('max_threads')", url.Values{"max_threads": {"1"}})
		}},
		{"and do not leak", 200, "", func() (int, string, string) {
			st, code, body := get(t, base, "SELECT getSetting('max_threads') != 1", nil)
			if body != "1\n" {
				return st, code, "leaked: " + body
			}
			return st, code, ""
		}},
		{"database does not leak", 200, "default\n", func() (int, string, string) {
			return get(t, base, "SELECT currentDatabase()", nil)
		}},
		{"unknown table", 404, "Code: 60. DB::Exception: ", func() (int, string, string) {
			return get(t, base, "SELECT * FROM nope", nil)
		}},
		{"bad setting", 400, "Code: 115. DB::Exception: ", func() (int, string, string) {
			return get(t, base, "SELECT 1", url.Values{"no_such_setting": {"1"}})
		}},
		{"sessions are refused", 501, "Code: 48. DB::Exception: ", func() (int, string, string) {
			return get(t, base, "SELECT 1", url.Values{"session_id": {"s1"}})
		}},
	}
	for _, s := range steps {
		status, code, body := s.run()
		if status != s.status || !strings.HasPrefix(body, s.body) || (s.body == "" && body != "") {
			t.Errorf("%s: status %d code %q body %q; want %d and %q", s.name, status, code, body, s.status, s.body)
		}
		if status != 200 && (code == "" || !strings.HasPrefix(body, "Code: "+code+".")) {
			t.Errorf("%s: exception header %q does not match body %q", s.name, code, body)
		}
	}
}

func TestAuthentication(t *testing.T) {
	base, _ := start(t)
	cases := []struct {
		name string
		set  func(*http.Request)
		ok   bool
	}{
		{"basic", func(r *http.Request) { r.SetBasicAuth("default", password) }, true},
		{"headers", func(r *http.Request) {
			r.Header.Set("X-ClickHouse-User", "default")
			r.Header.Set("X-ClickHouse-Key", password)
		}, true},
		{"url params", func(r *http.Request) { r.URL.RawQuery += "&user=default&password=" + password }, true},
		{"password only", func(r *http.Request) { r.Header.Set("X-ClickHouse-Key", password) }, true},
		{"none", func(*http.Request) {}, false},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth("default", "nope") }, false},
		{"wrong user", func(r *http.Request) { r.SetBasicAuth("admin", password) }, false},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodGet, base+"/?query=SELECT+1", nil)
		c.set(req)
		status, code, body := do(t, req)
		if c.ok && (status != 200 || body != "1\n") {
			t.Errorf("%s: %d %q", c.name, status, body)
		}
		if !c.ok && (status != 403 || code != "516" || !strings.HasSuffix(body, "(AUTHENTICATION_FAILED)\n") || strings.Contains(body, password)) {
			t.Errorf("%s: %d %s %q", c.name, status, code, body)
		}
	}
}

// TestClickHouseGo drives the endpoint with clickhouse-go's HTTP protocol directly: its hello
// query, typed Native reads (which dwm serve re-encodes for the client's protocol version) and
// a batch insert, which sends Native data in the request body.
func TestClickHouseGo(t *testing.T) {
	base, db := start(t)
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{strings.TrimPrefix(base, "http://")}, Protocol: clickhouse.HTTP,
		Auth: clickhouse.Auth{Username: "default", Password: password, Database: db},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()
	// Ten columns: the Native body then starts with byte 0x0a, a newline, right after the
	// "FORMAT Native" line; ClickHouse must not skip it as whitespace.
	if err := conn.Exec(ctx, `CREATE TABLE wide (
		id UInt64, name String, tags Array(String), score Nullable(Float64), kind LowCardinality(String),
		price Decimal(18, 4), at DateTime64(3, 'UTC'), attrs Map(String, UInt32), pair Tuple(UInt8, String), code FixedString(3)
	) ENGINE = MergeTree ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO wide")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	for i := 0; i < 1000; i++ {
		var score *float64
		if i%2 == 0 {
			f := float64(i) / 4
			score = &f
		}
		if err := batch.Append(uint64(i), fmt.Sprintf("n%d", i), []string{"a", "b"}, score, []string{"x", "y"}[i%2],
			"12.5", at, map[string]uint32{"k": uint32(i)}, []any{uint8(i % 256), "p"}, "abc"); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, "SELECT id, name, tags, score, kind, price, at, attrs, pair, code FROM wide WHERE id IN (0, 1, 999) ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var (
			id    uint64
			name  string
			tags  []string
			score *float64
			kind  string
			price decimal.Decimal
			ts    time.Time
			attrs map[string]uint32
			pair  []any
			code  string
		)
		if err := rows.Scan(&id, &name, &tags, &score, &kind, &price, &ts, &attrs, &pair, &code); err != nil {
			t.Fatal(err)
		}
		s := "NULL"
		if score != nil {
			s = fmt.Sprint(*score)
		}
		got = append(got, fmt.Sprintf("%d %s %v %s %s %v %s %v %v %s", id, name, tags, s, kind, price, ts.Format(time.RFC3339Nano), attrs, pair, code))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"0 n0 [a b] 0 x 12.5 2024-05-06T07:08:09.123Z map[k:0] [0 p] abc",
		"1 n1 [a b] NULL y 12.5 2024-05-06T07:08:09.123Z map[k:1] [1 p] abc",
		"999 n999 [a b] NULL y 12.5 2024-05-06T07:08:09.123Z map[k:999] [231 p] abc",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows\n got %q\nwant %q", got, want)
	}
	// A multi-block result: every block gets its own re-encoded header.
	var n, sum uint64
	if err := conn.QueryRow(ctx, "SELECT count(), sum(number) FROM (SELECT number FROM numbers(300000))").Scan(&n, &sum); err != nil || n != 300000 {
		t.Fatalf("count = %d, %v", n, err)
	}
	r2, err := conn.Query(ctx, "SELECT number, toString(number) FROM numbers(200000)")
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for r2.Next() {
		n++
	}
	if r2.Err() != nil || n != 200000 {
		t.Errorf("streamed %d rows, err %v", n, r2.Err())
	}
	var ex *clickhouse.Exception
	if err := conn.Exec(ctx, "SELECT * FROM "+manifest.QuoteIdent(db)+".nope"); err == nil || !asException(err, &ex) || ex.Code != 60 {
		t.Errorf("error = %#v", err)
	}
}

func asException(err error, ex **clickhouse.Exception) bool {
	for err != nil {
		if e, ok := err.(*clickhouse.Exception); ok {
			*ex = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}
