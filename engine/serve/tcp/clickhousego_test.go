package tcp_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/serve/tcp"
)

// mixedDDL covers the types clients insert most, wrapped the ways they are wrapped.
const mixedDDL = `CREATE TABLE mixed (
	id UInt64, name String, score Nullable(Float64), kind LowCardinality(String), tags Array(String),
	at DateTime64(3, 'UTC'), price Decimal(18, 4), attrs Map(String, UInt32), pair Tuple(UInt8, String),
	code FixedString(3), flag Bool, day Date, note LowCardinality(Nullable(String)), big Int128, u UUID,
	e Enum8('a' = 1, 'b' = 2), maybe Array(Nullable(Int32))
) ENGINE = MergeTree ORDER BY id`

// mixedRow holds one row as clickhouse-go appends and scans it.
type mixedRow struct {
	id    uint64
	name  string
	score *float64
	kind  string
	tags  []string
	at    time.Time
	price decimal.Decimal
	attrs map[string]uint32
	pair  []any
	code  string
	flag  bool
	day   time.Time
	note  *string
	big   big.Int
	u     string
	e     string
	maybe []*int32
}

func makeRow(i int) mixedRow {
	r := mixedRow{id: uint64(i), name: fmt.Sprintf("n%d\twith tab 'q' \\ ü", i), kind: []string{"x", "y", "z"}[i%3],
		tags: []string{"a", strconv.Itoa(i)}, at: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC).Add(time.Duration(i) * time.Millisecond),
		price: decimal.New(int64(i)*125, -2), attrs: map[string]uint32{"k": uint32(i)}, pair: []any{uint8(i % 256), "p"},
		code: "abc", flag: i%2 == 0, day: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%1000),
		u: fmt.Sprintf("61f0c404-5cb3-11e7-907b-%012x", i), e: []string{"a", "b"}[i%2]}
	if i%3 != 0 {
		f := float64(i) / 4
		r.score = &f
	}
	if i%5 == 0 {
		r.tags = []string{}
	}
	if i%4 != 0 {
		s := "note " + strconv.Itoa(i%7)
		r.note = &s
	}
	r.big.Mul(big.NewInt(int64(-i)), new(big.Int).Exp(big.NewInt(10), big.NewInt(20), nil))
	v := int32(i)
	r.maybe = []*int32{nil, &v}
	return r
}

func (r *mixedRow) values() []any {
	return []any{r.id, r.name, r.score, r.kind, r.tags, r.at, r.price, r.attrs, r.pair, r.code, r.flag, r.day, r.note, &r.big, r.u, r.e, r.maybe}
}

func (r *mixedRow) dest() []any {
	return []any{&r.id, &r.name, &r.score, &r.kind, &r.tags, &r.at, &r.price, &r.attrs, &r.pair, &r.code, &r.flag, &r.day, &r.note, &r.big, &r.u, &r.e, &r.maybe}
}

// text renders the row as ClickHouse prints each value in TSV (nil for NULL), the form the
// embedded engine's results take.
func (r *mixedRow) text() []any {
	quoted := func(ss []string) string {
		return "['" + strings.Join(ss, "','") + "']"
	}
	if len(r.tags) == 0 {
		quoted = func([]string) string { return "[]" }
	}
	var score, note any
	if r.score != nil {
		score = strconv.FormatFloat(*r.score, 'g', -1, 64)
	}
	if r.note != nil {
		note = *r.note
	}
	maybe := make([]string, len(r.maybe))
	for i, p := range r.maybe {
		maybe[i] = "NULL"
		if p != nil {
			maybe[i] = strconv.Itoa(int(*p))
		}
	}
	return []any{strconv.FormatUint(r.id, 10), r.name, score, r.kind, quoted(r.tags), r.at.UTC().Format("2006-01-02 15:04:05.000"),
		r.price.String(), fmt.Sprintf("{'k':%d}", r.attrs["k"]), fmt.Sprintf("(%d,'%s')", r.pair[0], r.pair[1]), r.code,
		strconv.FormatBool(r.flag), r.day.Format("2006-01-02"), note, r.big.String(), r.u, r.e, "[" + strings.Join(maybe, ",") + "]"}
}

// TestBatchInsertAndTypedSelect inserts rows of many types with clickhouse-go's batch API and
// reads them back typed; the embedded engine must hold exactly the values sent, and the client
// must read exactly what the engine holds. The result comes back in several Native blocks.
func TestBatchInsertAndTypedSelect(t *testing.T) {
	_, addr, db := start(t, tcp.Options{})
	wh := shared.Warehouse(t)
	conn := open(t, addr, db, nil)
	ctx := context.Background()
	if err := conn.Exec(ctx, mixedDDL); err != nil {
		t.Fatal(err)
	}
	const n = 5000
	for _, part := range [][2]int{{0, 3000}, {3000, n}} { // two inserts: the second reuses the connection
		batch, err := conn.PrepareBatch(ctx, "INSERT INTO mixed")
		if err != nil {
			t.Fatal(err)
		}
		for i := part[0]; i < part[1]; i++ {
			r := makeRow(i)
			if err := batch.Append(r.values()...); err != nil {
				t.Fatal(err)
			}
		}
		if err := batch.Send(); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	want, err := wh.Query(ctx, "SELECT * FROM "+manifest.QuoteIdent(db)+".mixed ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Rows) != n {
		t.Fatalf("engine holds %d rows, want %d", len(want.Rows), n)
	}
	var profile clickhouse.ProfileInfo
	blocks := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": 1000}),
		clickhouse.WithProfileInfo(func(p *clickhouse.ProfileInfo) { profile = *p }))
	rows, err := conn.Query(blocks, "SELECT * FROM mixed ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i, bad := 0, 0
	for rows.Next() {
		var got mixedRow
		if err := rows.Scan(got.dest()...); err != nil {
			t.Fatalf("scan row %d: %v", i, err)
		}
		sent := makeRow(i)
		if bad < 3 && !reflect.DeepEqual(sent.text(), want.Rows[i]) {
			bad++
			t.Errorf("row %d: engine holds\n %q\nclient sent\n %q", i, want.Rows[i], sent.text())
		}
		if bad < 3 && !reflect.DeepEqual(got.text(), want.Rows[i]) {
			bad++
			t.Errorf("row %d: client read\n %q\nengine holds\n %q", i, got.text(), want.Rows[i])
		}
		i++
	}
	if err := rows.Err(); err != nil || i != n {
		t.Fatalf("read %d rows, err %v", i, err)
	}
	if profile.Rows != n || profile.Blocks < 2 {
		t.Errorf("profile info: %d rows in %d blocks", profile.Rows, profile.Blocks)
	}
	// Column names and types arrive as the engine reports them.
	types := rows.ColumnTypes()
	for j, c := range want.Columns {
		if types[j].Name() != c.Name || types[j].DatabaseTypeName() != c.Type {
			t.Errorf("column %d: %s %s, engine says %s %s", j, types[j].Name(), types[j].DatabaseTypeName(), c.Name, c.Type)
		}
	}
}

// TestEmptyResultsAndStatements: a result with no rows still names its columns, and statements
// without a result answer with the end of the stream.
func TestEmptyResultsAndStatements(t *testing.T) {
	_, addr, db := start(t, tcp.Options{})
	conn := open(t, addr, db, nil)
	ctx := context.Background()
	for _, q := range []string{"SELECT 1 AS x, 'a' AS y WHERE 0", "SHOW TABLES", "SELECT 1 AS x LIMIT 0 FORMAT JSON"} {
		rows, err := conn.Query(ctx, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if rows.Next() {
			t.Errorf("%s: a row", q)
		}
		if len(rows.Columns()) == 0 || rows.Err() != nil {
			t.Errorf("%s: columns %v, err %v", q, rows.Columns(), rows.Err())
		}
		rows.Close()
	}
	for _, q := range []string{"CREATE TABLE e (a UInt8) ENGINE = Memory", "INSERT INTO e SELECT number FROM numbers(3)", "INSERT INTO e VALUES (7), (8)"} {
		if err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var sum uint64
	if err := conn.QueryRow(ctx, "SELECT sum(a) FROM e FORMAT TabSeparated").Scan(&sum); err != nil || sum != 18 {
		t.Errorf("sum = %d, %v", sum, err)
	}
}

// TestExceptions: errors arrive as *clickhouse.Exception with ClickHouse's code, the name in the
// message, and the connection stays usable after each.
func TestExceptions(t *testing.T) {
	_, addr, db := start(t, tcp.Options{})
	conn := open(t, addr, db, nil)
	ctx := context.Background()
	for _, q := range []string{"CREATE TABLE t (a UInt8) ENGINE = Memory", "CREATE TABLE c (a UInt8, CONSTRAINT small CHECK a < 15) ENGINE = Memory"} {
		if err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// An insert whose second block breaks a constraint: the engine fails while the client still
	// sends, and the connection must stay in step.
	badInsert := func() error {
		b, err := conn.PrepareBatch(ctx, "INSERT INTO c")
		if err != nil {
			return err
		}
		for i := 0; i < 40; i++ {
			if err := b.Append(uint8(i)); err != nil {
				return err
			}
			if i%10 == 9 {
				if err := b.Flush(); err != nil {
					return err
				}
			}
		}
		return b.Send()
	}
	cases := []struct {
		run  func() error
		code int32
		name string
	}{
		{func() error { return conn.Exec(ctx, "SELECT * FROM nope") }, 60, "UNKNOWN_TABLE"},
		{func() error { return conn.Exec(ctx, "SELEC 1") }, 62, "SYNTAX_ERROR"},
		{func() error {
			rows, err := conn.Query(ctx, "SELECT throwIf(number = 3, 'boom') FROM numbers(10)")
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
			}
			return err
		}, 395, "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO"},
		{func() error { _, err := conn.PrepareBatch(ctx, "INSERT INTO nope"); return err }, 60, "UNKNOWN_TABLE"},
		{func() error { _, err := conn.PrepareBatch(ctx, "INSERT INTO t (zz)"); return err }, 16, "NO_SUCH_COLUMN_IN_TABLE"},
		{badInsert, 469, "VIOLATED_CONSTRAINT"},
		{func() error { return conn.Exec(ctx, "USE no_such_db") }, 81, "UNKNOWN_DATABASE"},
	}
	for i, c := range cases {
		err := c.run()
		var ex *clickhouse.Exception
		if !errors.As(err, &ex) {
			t.Errorf("case %d: want *clickhouse.Exception, got %T %v", i, err, err)
			continue
		}
		if ex.Code != c.code || !strings.HasSuffix(ex.Message, "("+c.name+")") {
			t.Errorf("case %d: code %d message %q, want %d (%s)", i, ex.Code, ex.Message, c.code, c.name)
		}
		var one uint8
		if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
			t.Fatalf("after case %d the connection is unusable: %v", i, err)
		}
	}
	// An error after some blocks were sent ends the result with the exception: the rows before
	// it arrive, then the error (one row per block, 0.3 s each).
	slow := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": 1, "max_threads": 1}))
	rows, err := conn.Query(slow, "SELECT number, sleepEachRow(0.3) FROM numbers(3) WHERE throwIf(number = 2) = 0")
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for rows.Next() {
		got++
	}
	var late *clickhouse.Exception
	if !errors.As(rows.Err(), &late) || late.Code != 395 || got == 0 {
		t.Errorf("after %d rows: %v", got, rows.Err())
	}
	rows.Close()
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(new(uint8)); err != nil {
		t.Errorf("after a late exception: %v", err)
	}
	// A wrong password fails the handshake with AUTHENTICATION_FAILED.
	bad, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, Auth: clickhouse.Auth{Password: "wrong"}})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	var ex *clickhouse.Exception
	if err := bad.Ping(ctx); !errors.As(err, &ex) || ex.Code != 516 || strings.Contains(err.Error(), password) {
		t.Errorf("wrong password: %v", err)
	}
}

// TestSessionIsolation: SET and USE apply to their own connection only, and settings sent with a
// query apply to that query only. Each session is a database/sql connection pinned with Conn:
// clickhouse-go's own pool hands a query's connection back from a goroutine after the caller has
// its rows, so the caller's next statement may find the pool empty and dial a new connection,
// with a new session, even with MaxOpenConns 1 (seen in CI).
func TestSessionIsolation(t *testing.T) {
	_, addr, db := start(t, tcp.Options{})
	a := pinned(t, addr, "")
	b := pinned(t, addr, "")
	ctx := context.Background()
	for _, q := range []string{"SET max_threads = 1, max_block_size = '777'", "USE " + manifest.QuoteIdent(db)} {
		if _, err := a.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	state := func(c *sql.Conn, qctx context.Context) string {
		var threads, block, database string
		err := c.QueryRowContext(qctx, "SELECT toString(getSetting('max_threads')), toString(getSetting('max_block_size')), currentDatabase()").Scan(&threads, &block, &database)
		if err != nil {
			t.Fatal(err)
		}
		return threads + " " + block + " " + database
	}
	if got := state(a, ctx); got != "1 777 "+db {
		t.Errorf("session a = %q", got)
	}
	defaults := state(b, ctx)
	if strings.HasPrefix(defaults, "1 777") || strings.HasSuffix(defaults, db) {
		t.Errorf("session b sees a's state: %q", defaults)
	}
	qctx := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_threads": 3}))
	if got := state(a, qctx); got != "3 777 "+db {
		t.Errorf("a with a query setting = %q", got)
	}
	if got := state(a, ctx); got != "1 777 "+db {
		t.Errorf("a after the query setting = %q", got)
	}
	if _, err := a.ExecContext(ctx, "SET max_threads = DEFAULT"); err != nil {
		t.Fatal(err)
	}
	if got := state(a, ctx); !strings.HasSuffix(got, " 777 "+db) || strings.HasPrefix(got, "1 ") {
		t.Errorf("a after SET DEFAULT = %q", got)
	}
	if got := state(b, ctx); got != defaults {
		t.Errorf("b changed to %q", got)
	}
	// Query parameters travel with the query. Their values are in ClickHouse's escaped text form,
	// as over HTTP: "\\t" is a tab.
	var s string
	var n int32
	pctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"s": "it's \"x\" ü\\t.", "n": "-5"}))
	if err := a.QueryRowContext(pctx, "SELECT {s:String}, {n:Int32}").Scan(&s, &n); err != nil || s != "it's \"x\" ü\t." || n != -5 {
		t.Errorf("parameters: %q %d %v", s, n, err)
	}
}

// TestCancel: a cancelled query stops in the engine, not just in the client, and the server
// goes on serving.
func TestCancel(t *testing.T) {
	_, addr, db := start(t, tcp.Options{})
	conn := open(t, addr, db, func(o *clickhouse.Options) { o.MaxOpenConns = 2 })
	const marker = "cancel_me_7731"
	// A cancel rather than a deadline: clickhouse-go turns a deadline into a socket timeout that
	// may fire before its own cancel does.
	ctx, cancel := context.WithCancel(context.Background())
	defer time.AfterFunc(500*time.Millisecond, cancel).Stop()
	begin := time.Now()
	err := conn.QueryRow(ctx, "SELECT count() FROM numbers(100000000000) WHERE number != 7731 -- "+marker).Scan(new(uint64))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want Canceled, got %v", err)
	}
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("cancel took %v", d)
	}
	waitStopped(t, marker)
	var one uint8
	if err := conn.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("after cancel: %v", err)
	}
}

// TestCompression: with LZ4 or ZSTD, inserts and results cross the wire compressed both ways
// (ZSTD answers when the query asks for them with network_compression_method, as ClickHouse
// does) and arrive intact.
func TestCompression(t *testing.T) {
	_, addr, db := start(t, tcp.Options{})
	const rows, width = 20000, 500
	raw := int64(rows * width)
	for _, c := range []struct {
		name   string
		method clickhouse.CompressionMethod
	}{{"lz4", clickhouse.CompressionLZ4}, {"zstd", clickhouse.CompressionZSTD}} {
		t.Run(c.name, func(t *testing.T) {
			p := startProxy(t, addr)
			conn := open(t, p.addr, db, func(o *clickhouse.Options) {
				o.Compression = &clickhouse.Compression{Method: c.method}
				if c.method == clickhouse.CompressionZSTD {
					o.Settings = clickhouse.Settings{"network_compression_method": "ZSTD"}
				}
			})
			ctx := context.Background()
			table := "z_" + c.name
			if err := conn.Exec(ctx, "CREATE TABLE "+table+" (id UInt32, s String) ENGINE = MergeTree ORDER BY id"); err != nil {
				t.Fatal(err)
			}
			batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+table)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < rows; i++ {
				if err := batch.Append(uint32(i), strings.Repeat(strconv.Itoa(i%10), width)); err != nil {
					t.Fatal(err)
				}
			}
			up := p.up.Load()
			if err := batch.Send(); err != nil {
				t.Fatal(err)
			}
			if sent := p.up.Load() - up; sent > raw/10 {
				t.Errorf("insert of %d bytes sent %d bytes", raw, sent)
			}
			down := p.down.Load()
			r, err := conn.Query(ctx, "SELECT id, s FROM "+table+" ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for r.Next() {
				var id uint32
				var s string
				if err := r.Scan(&id, &s); err != nil {
					t.Fatal(err)
				}
				if id != uint32(n) || s != strings.Repeat(strconv.Itoa(n%10), width) {
					t.Fatalf("row %d: %d %.20q", n, id, s)
				}
				n++
			}
			if r.Err() != nil || n != rows {
				t.Fatalf("read %d rows: %v", n, r.Err())
			}
			if got := p.down.Load() - down; got > raw/10 {
				t.Errorf("result of %d bytes took %d bytes", raw, got)
			}
		})
	}
}

// TestResultsStream: blocks reach the client while the engine is still producing them, so a
// result larger than memory passes through: an endless query is read for a while, then
// cancelled, and stops in the engine.
func TestResultsStream(t *testing.T) {
	_, addr, db := start(t, tcp.Options{})
	conn := open(t, addr, db, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rows, err := conn.Query(ctx, "SELECT number FROM system.numbers -- endless_stream")
	if err != nil {
		t.Fatal(err)
	}
	const want = 1_000_000
	read := 0
	for read < want && rows.Next() {
		var n uint64
		if err := rows.Scan(&n); err != nil || n != uint64(read) {
			t.Fatalf("row %d: %d %v", read, n, err)
		}
		read++
	}
	cancel()
	rows.Close()
	if read != want {
		t.Fatalf("read %d rows: %v", read, rows.Err())
	}
	waitStopped(t, "endless_stream")
}
