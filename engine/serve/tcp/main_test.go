package tcp_test

import (
	"context"
	"database/sql"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/dwmhq/dwm/engine/serve/auth"
	"github.com/dwmhq/dwm/engine/serve/core"
	"github.com/dwmhq/dwm/engine/serve/sandbox"
	"github.com/dwmhq/dwm/engine/serve/tcp"
	"github.com/dwmhq/dwm/engine/serve/tcp/coreengine"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

// These tests speak the native protocol over loopback to a Server in front of dwm serve's core
// and a sandboxed embedded engine, as dwm serve runs them (ClickHouse 26.7 runs every
// statement), with real clients: clickhouse-go's native transport, clickhouse-driver in a Python
// process, and hand-written hostile clients. The same engine answers the comparisons, so results
// are checked value by value against it.
var shared chdbtest.Shared

const password = "tcp-test-Pw!7"

func TestMain(m *testing.M) {
	os.Exit(shared.RunWithConfig(m, chdb.Options{Conns: 2}, func(dir string) (string, error) {
		return sandbox.Config(sandbox.Policy{}, dir)
	}))
}

// start serves the shared warehouse on an ephemeral loopback port until the test ends and returns
// the server, its address, and a fresh database for the test.
func start(t testing.TB, opts tcp.Options) (*tcp.Server, string, string) {
	t.Helper()
	srv, addr, db, _ := startCore(t, opts, core.Options{})
	return srv, addr, db
}

// startCore is start with the core's options; copts.Users defaults to user default with the
// test password.
func startCore(t testing.TB, opts tcp.Options, copts core.Options) (*tcp.Server, string, string, *core.Core) {
	t.Helper()
	wh, db := shared.Database(t, "tcp_")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if copts.Users == nil {
		copts.Users = auth.Single("default", password)
	}
	c := core.New(wh, copts)
	srv := tcp.New(coreengine.New(c, wh, coreengine.Options{}), opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		c.Close()
	})
	return srv, ln.Addr().String(), db, c
}

// open connects clickhouse-go's native transport with a pool of one connection. Statements
// usually share a session but need not: the pool may dial anew after a query (see pinned).
func open(t testing.TB, addr, db string, mutate func(*clickhouse.Options)) clickhouse.Conn {
	t.Helper()
	o := nativeOptions(addr, db)
	o.MaxOpenConns, o.MaxIdleConns = 1, 1
	if mutate != nil {
		mutate(o)
	}
	conn, err := clickhouse.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	return conn
}

// pinned is one native connection through database/sql, held for the whole test, so every
// statement on it runs in the same session.
func pinned(t testing.TB, addr, db string) *sql.Conn {
	t.Helper()
	pool := clickhouse.OpenDB(nativeOptions(addr, db))
	t.Cleanup(func() { pool.Close() })
	conn, err := pool.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.PingContext(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	return conn
}

// nativeOptions connects user default to addr over the native protocol.
func nativeOptions(addr, db string) *clickhouse.Options {
	return &clickhouse.Options{Addr: []string{addr}, Protocol: clickhouse.Native,
		Auth: clickhouse.Auth{Username: "default", Password: password, Database: db}, DialTimeout: 5 * time.Second}
}

// running counts the statements containing marker that run in the engine.
func running(t *testing.T, marker string) int {
	t.Helper()
	r, err := shared.Warehouse(t).Query(context.Background(),
		"SELECT count() FROM system.processes WHERE query LIKE '%"+marker+"%' AND query NOT LIKE '%system.processes%'")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(r.String(0, 0))
	return n
}

// waitStopped waits until no statement containing marker runs in the engine any more.
func waitStopped(t *testing.T, marker string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); running(t, marker) != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("a statement with %s still runs in the engine", marker)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
