package server_test

import (
	"context"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/dwmhq/dwm/engine/serve"
	"github.com/dwmhq/dwm/engine/serve/auth"
	"github.com/dwmhq/dwm/engine/serve/core"
	"github.com/dwmhq/dwm/engine/serve/tcp"
	"github.com/dwmhq/dwm/engine/serve/tcp/coreengine"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
	"github.com/dwmhq/dwm/engine/warehouse/server"
)

// These tests run dwm's server target over real ClickHouse protocol endpoints: `dwm serve`'s
// HTTP handler and native TCP server, both over one core (users, sandbox, limits, sessions) in
// front of the embedded engine (ClickHouse 26.7 executes every statement; only the protocol
// layers are dwm's). libchdb allows one data directory per process, so the package shares one,
// and the same engine answers both sides of the comparisons.
var shared chdbtest.Shared

// testPassword must never show up in an error.
const testPassword = "pw-Zq8!never-print-me"

func TestMain(m *testing.M) {
	os.Exit(shared.Run(m, chdb.Options{Conns: 8}))
}

// endpoints starts one HTTP and one native endpoint per test binary, on ephemeral loopback ports.
type endpoints struct {
	once    sync.Once
	port    int // HTTP
	tcpPort int // native
	err     error
}

var ep endpoints

// endpoint returns the embedded warehouse and the port of a serve endpoint in front of it.
func endpoint(t *testing.T) (*chdb.Warehouse, int) {
	t.Helper()
	wh := shared.Warehouse(t)
	ep.once.Do(func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			ep.err = err
			return
		}
		ep.port = ln.Addr().(*net.TCPAddr).Port
		c := core.New(wh, core.Options{Users: auth.Single("default", testPassword)})
		srv := serve.New(c, serve.Options{})
		go srv.Serve(context.Background(), ln) // lives as long as the test binary
		tln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			ep.err = err
			return
		}
		ep.tcpPort = tln.Addr().(*net.TCPAddr).Port
		native := tcp.New(coreengine.New(c, wh, coreengine.Options{}), tcp.Options{})
		go native.Serve(context.Background(), tln)
	})
	if ep.err != nil {
		t.Fatalf("listen: %v", ep.err)
	}
	return wh, ep.port
}

// protocols are the server target's transports, each tested against its endpoint.
var protocols = []string{server.ProtocolHTTP, server.ProtocolNative}

// openProtocol opens the server target over protocol against its endpoint, in database db when
// not empty.
func openProtocol(t *testing.T, protocol, db string, mutate func(*server.Options)) *server.Warehouse {
	t.Helper()
	_, port := endpoint(t)
	if protocol == server.ProtocolNative {
		port = ep.tcpPort
	}
	opts := server.Options{Host: "127.0.0.1", Port: port, Protocol: protocol, Password: testPassword, Database: db}
	if mutate != nil {
		mutate(&opts)
	}
	w, err := server.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("open %s: %v", strconv.Itoa(port), err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// database makes a fresh database for the test through the embedded engine.
func database(t *testing.T) string {
	t.Helper()
	endpoint(t)
	_, db := shared.Database(t, "srv_")
	return db
}
