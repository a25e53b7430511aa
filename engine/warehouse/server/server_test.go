package server_test

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
	"github.com/dwmhq/dwm/engine/warehouse/server"
)

// TestTextMatchesEmbedded pins the Result contract: the server target returns the same column
// names, types and text values as the embedded engine for the same statement.
func TestTextMatchesEmbedded(t *testing.T) { eachProtocol(t, testTextMatchesEmbedded) }

func testTextMatchesEmbedded(t *testing.T, protocol string) {
	wh, _ := endpoint(t)
	srv := openProtocol(t, protocol, "", nil)
	queries := []string{
		`SELECT 1 AS u8, -5 AS i8, 300 AS u16, toInt64(-9007199254740993) AS i64, toUInt64(18446744073709551615) AS u64, toInt128(-1) AS i128, toUInt256(12345678901234567890) AS u256`,
		`SELECT 0.1 AS f64, toFloat32(0.1) AS f32, 1e300 AS big, -0. AS negzero, nan AS n, inf AS i, 1/3 AS third`,
		`SELECT toDecimal64(1.5, 3) AS d64, toDecimal32(-0.01, 2) AS d32, toDecimal128('12345678901234567890.123', 3) AS d128`,
		`SELECT 'plain' AS s, 'tab\there' AS tab, 'new\nline' AS nl, 'back\\slash' AS bs, 'quote''s' AS q, '' AS empty, 'ünïcödé' AS u`,
		`SELECT toDate('2024-02-29') AS d, toDate32('1900-01-01') AS d32, toDateTime('2024-01-02 03:04:05', 'UTC') AS dt, toDateTime64('2024-01-02 03:04:05.123', 3, 'UTC') AS dt64`,
		`SELECT true AS b, toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') AS uuid, toIPv4('10.0.0.1') AS ip4, toIPv6('::1') AS ip6, toFixedString('ab', 4) AS fs`,
		`SELECT CAST('b', 'Enum8(\'a\' = 1, \'b\' = 2)') AS e, toLowCardinality('lc') AS lc`,
		`SELECT NULL AS n, CAST(NULL, 'Nullable(Int32)') AS ni, CAST(7, 'Nullable(Int32)') AS nv, toNullable('x') AS ns, CAST(NULL, 'LowCardinality(Nullable(String))') AS lcn`,
		`SELECT [1, 2, 3] AS a, ['x', 'y\tz'] AS sa, [NULL, 1] AS na, [[1], []] AS nested, map('k', 1, 'l', 2) AS m, (1, 'a', [2]) AS tup, tuple(1 AS x, 'q' AS y) AS named`,
		`SELECT number, toString(number) AS s, number % 3 = 0 ? NULL : number AS maybe FROM numbers(5) ORDER BY number`,
		`SELECT 1 AS x WHERE 0`,
		`WITH 2 AS two SELECT two * 3 AS six`,
		`SELECT 1 + 1, concat('a', 'b') -- a trailing comment`,
	}
	for _, q := range queries {
		want, err := wh.Query(context.Background(), q)
		if err != nil {
			t.Fatalf("embedded %s: %v", q, err)
		}
		got, err := srv.Query(context.Background(), q)
		if err != nil {
			t.Fatalf("server %s: %v", q, err)
		}
		if len(want.Columns) == 0 && len(want.Rows) == 0 {
			// libchdb prints nothing, not even names, for an empty result; the server still knows them.
			if len(got.Rows) != 0 {
				t.Errorf("%s: want no rows, got %v", q, got.Rows)
			}
			continue
		}
		if !reflect.DeepEqual(got.Columns, want.Columns) {
			t.Errorf("%s: columns\n got %v\nwant %v", q, got.Columns, want.Columns)
		}
		if !reflect.DeepEqual(got.Rows, want.Rows) {
			t.Errorf("%s: rows\n got %q\nwant %q", q, got.Rows, want.Rows)
		}
	}
}

func TestExecAndQuery(t *testing.T) { eachProtocol(t, testExecAndQuery) }

func testExecAndQuery(t *testing.T, protocol string) {
	db := database(t)
	srv := openProtocol(t, protocol, db, nil)
	ctx := context.Background()
	for _, s := range []string{
		"CREATE TABLE src (id UInt64, name String, day Date) ENGINE = MergeTree ORDER BY id",
		"INSERT INTO src SELECT number, concat('n', toString(number)), toDate('2024-01-01') + number FROM numbers(100)",
		"CREATE TABLE dst AS src",
		"INSERT INTO dst SELECT * FROM src WHERE id % 2 = 0",
	} {
		if _, err := srv.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if got := chdbtest.Rows(t, srv, "SELECT count(), min(name), max(day) FROM dst", " "); got != "50 n0 2024-04-08" {
		t.Errorf("dst = %q", got)
	}
	// Statements that are not SELECTs are scanned directly.
	if got := chdbtest.Rows(t, srv, "EXISTS TABLE dst", " "); got != "1" {
		t.Errorf("EXISTS = %q", got)
	}
	if got := chdbtest.Rows(t, srv, "SHOW TABLES", ","); got != "dst\nsrc" {
		t.Errorf("SHOW TABLES = %q", got)
	}
	r, err := srv.Query(ctx, "DESCRIBE TABLE src")
	if err != nil || len(r.Rows) != 3 || r.String(2, 1) != "Date" {
		t.Errorf("DESCRIBE = %v, %v", r, err)
	}
	v, err := srv.Version(ctx)
	if err != nil || !strings.HasPrefix(v, "2") {
		t.Errorf("Version = %q, %v", v, err)
	}
	caps := srv.Capabilities()
	if caps.Kind != "clickhouse" || caps.ReadsLocalFiles || !caps.ExchangeTables {
		t.Errorf("caps = %+v", caps)
	}
}

func TestQueryErrors(t *testing.T) { eachProtocol(t, testQueryErrors) }

func testQueryErrors(t *testing.T, protocol string) {
	db := database(t)
	srv := openProtocol(t, protocol, db, nil)
	ctx := context.Background()
	cases := []struct {
		sql  string
		code int
		name string
		exec bool
	}{
		{"SELECT * FROM no_such_table", 60, "UNKNOWN_TABLE", false},
		{"SELECT * FROM no_such_table", 60, "UNKNOWN_TABLE", true},
		{"SELEC 1", 62, "SYNTAX_ERROR", true},
		{"SELECT throwIf(number = 3, 'boom') FROM numbers(10)", 395, "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO", false},
		{"CREATE TABLE t (x UInt8) ENGINE = NoSuchEngine", 56, "UNKNOWN_STORAGE", true},
	}
	for _, c := range cases {
		var err error
		if c.exec {
			_, err = srv.Exec(ctx, c.sql)
		} else {
			_, err = srv.Query(ctx, c.sql)
		}
		var qe *warehouse.QueryError
		if !errors.As(err, &qe) {
			t.Errorf("%s: want *QueryError, got %T %v", c.sql, err, err)
			continue
		}
		if qe.Code != c.code || qe.Name != c.name || qe.SQL != c.sql || qe.Message == "" || strings.Contains(qe.Message, "("+c.name+")") {
			t.Errorf("%s: got code %d name %q sql %q message %q", c.sql, qe.Code, qe.Name, qe.SQL, qe.Message)
		}
	}
}

// TestCancel: a cancelled context stops the statement on the server, and the server is usable
// right after.
func TestCancel(t *testing.T) { eachProtocol(t, testCancel) }

func testCancel(t *testing.T, protocol string) {
	db := database(t)
	srv := openProtocol(t, protocol, db, nil)
	for _, sql := range []string{
		"SELECT count() FROM numbers(100000000000)",
		"CREATE TABLE sink ENGINE = MergeTree ORDER BY tuple() AS SELECT sum(number) AS s FROM numbers(100000000000)",
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		start := time.Now()
		_, err := srv.Exec(ctx, sql)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: want DeadlineExceeded, got %v", sql, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: cancellation took %v", sql, d)
		}
	}
	// The statements are gone from the engine, not just abandoned by the client.
	deadline := time.Now().Add(15 * time.Second)
	for {
		n := chdbtest.Rows(t, srv, "SELECT count() FROM system.processes WHERE query LIKE '%numbers(100000000000)%' AND query NOT LIKE '%system.processes%'", "")
		if n == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s statements still running after cancel", n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestSecretsNeverPrinted forces connection failures with a password set and checks the error
// text, which is what dwm prints, logs and writes to run_results.json.
func TestSecretsNeverPrinted(t *testing.T) {
	_, port := endpoint(t)
	closed := closedPort(t)
	const wrong = "wrong-Pw-7731!also-secret"
	cases := []struct {
		name string
		opts server.Options
		want string
	}{
		{"wrong password", server.Options{Host: "127.0.0.1", Port: port, Protocol: server.ProtocolHTTP, Password: wrong}, "516"},
		{"wrong user", server.Options{Host: "127.0.0.1", Port: port, Protocol: server.ProtocolHTTP, User: "nobody", Password: wrong}, "516"},
		{"wrong password native", server.Options{Host: "127.0.0.1", Port: ep.tcpPort, Protocol: server.ProtocolNative, Password: wrong}, "516"},
		{"wrong user native", server.Options{Host: "127.0.0.1", Port: ep.tcpPort, Protocol: server.ProtocolNative, User: "nobody", Password: wrong}, "516"},
		{"closed port http", server.Options{Host: "127.0.0.1", Port: closed, Protocol: server.ProtocolHTTP, User: "u", Password: wrong}, "refused"},
		{"closed port native", server.Options{Host: "127.0.0.1", Port: closed, Protocol: server.ProtocolNative, User: "u", Password: wrong}, "refused"},
		// The native client's hello gets no native answer from an HTTP port: its handshake fails.
		{"http against native client", server.Options{Host: "127.0.0.1", Port: port, Protocol: server.ProtocolNative, Password: wrong, DialTimeout: 2 * time.Second}, "handshake"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := server.Open(context.Background(), c.opts)
			if err == nil {
				w.Close()
				t.Fatal("Open succeeded")
			}
			text := err.Error()
			if strings.Contains(text, wrong) || strings.Contains(text, testPassword) {
				t.Fatalf("password in error: %s", text)
			}
			if !strings.Contains(text, c.want) {
				t.Errorf("error %q does not mention %q", text, c.want)
			}
			var qe *warehouse.QueryError
			if c.want == "516" && (!errors.As(err, &qe) || qe.Name != "AUTHENTICATION_FAILED") {
				t.Errorf("want AUTHENTICATION_FAILED QueryError, got %#v", err)
			}
		})
	}
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// TestRowsWritten: dwm reports rows written per model; over HTTP they come from the
// X-ClickHouse-Summary header, over the native protocol from progress packets.
func TestRowsWritten(t *testing.T) { eachProtocol(t, testRowsWritten) }

func testRowsWritten(t *testing.T, protocol string) {
	db := database(t)
	srv := openProtocol(t, protocol, db, nil)
	chdbtest.Exec(t, srv, "CREATE TABLE t (n UInt64) ENGINE = MergeTree ORDER BY n")
	st, err := srv.Exec(context.Background(), "INSERT INTO t SELECT number FROM numbers(1234)")
	if err != nil || st.RowsWritten != 1234 || st.RowsRead != 1234 {
		t.Errorf("stats = %+v, %v", st, err)
	}
}

// eachProtocol runs test once per protocol, as a subtest named after it.
func eachProtocol(t *testing.T, test func(t *testing.T, protocol string)) {
	for _, p := range protocols {
		t.Run(p, func(t *testing.T) { test(t, p) })
	}
}
