package serve_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/serve"
	"github.com/dwmhq/dwm/engine/serve/auth"
	"github.com/dwmhq/dwm/engine/serve/core"
	"github.com/dwmhq/dwm/engine/serve/sandbox"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

var shared chdbtest.Shared

const password = "serve-test-pw"

// servedDB is the database the engine is opened in, as dwm serve opens the project's.
const servedDB = "served"

// TestMain opens one sandboxed engine for the package, as dwm serve does.
func TestMain(m *testing.M) {
	os.Exit(shared.RunWithConfig(m, chdb.Options{Conns: 1, Database: servedDB}, func(dir string) (string, error) {
		return sandbox.Config(sandbox.Policy{}, dir)
	}))
}

// env is one test's server.
type env struct {
	base string
	db   string
	core *core.Core
}

// start serves the shared warehouse on an ephemeral port for one test, with a database of its
// own. copts.Users defaults to user default with the test password.
func start(t testing.TB, copts core.Options, hopts serve.Options) *env {
	t.Helper()
	wh, db := shared.Database(t, "serve_")
	if copts.Users == nil {
		copts.Users = auth.Single("default", password)
	}
	c := core.New(wh, copts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve.New(c, hopts).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		c.Close()
	})
	return &env{base: "http://" + ln.Addr().String(), db: db, core: c}
}

// reply is one answer.
type reply struct {
	status int
	code   string // X-ClickHouse-Exception-Code
	body   string
	header http.Header
}

func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	return reply{res.StatusCode, res.Header.Get("X-ClickHouse-Exception-Code"), string(b), res.Header}
}

func (e *env) get(t *testing.T, query string, params url.Values) reply {
	t.Helper()
	p := url.Values{"query": {query}}
	for k, v := range params {
		p[k] = v
	}
	params = p
	req, _ := http.NewRequest(http.MethodGet, e.base+"/?"+params.Encode(), nil)
	req.SetBasicAuth("default", password)
	return do(t, req)
}

func (e *env) post(t *testing.T, params url.Values, body io.Reader, hdr map[string]string) reply {
	t.Helper()
	if params == nil {
		params = url.Values{}
	}
	req, _ := http.NewRequest(http.MethodPost, e.base+"/?"+params.Encode(), body)
	req.Header.Set("X-ClickHouse-User", "default")
	req.Header.Set("X-ClickHouse-Key", password)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

// ok fails the test unless the reply is a 200 with body want.
func ok(t *testing.T, what string, r reply, want string) {
	t.Helper()
	if r.status != 200 || r.body != want {
		t.Errorf("%s: status %d code %s body %q; want 200 and %q", what, r.status, r.code, r.body, want)
	}
}

// refused fails the test unless the reply is an exception with code and HTTP status.
func refused(t *testing.T, what string, r reply, status int, code string) {
	t.Helper()
	if r.status != status || r.code != code || !strings.HasPrefix(r.body, "Code: "+code+". DB::Exception: ") {
		t.Errorf("%s: status %d code %q body %q; want %d and code %s", what, r.status, r.code, r.body, status, code)
	}
}

func TestHTTPInterface(t *testing.T) {
	e := start(t, core.Options{}, serve.Options{})
	res, err := http.Get(e.base + "/ping")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(res.Body); res.StatusCode != 200 || string(b) != "Ok.\n" {
		t.Errorf("ping = %d %q", res.StatusCode, b)
	}
	in := url.Values{"database": {e.db}}
	ok(t, "create via POST body", e.post(t, in, strings.NewReader("CREATE TABLE t (id UInt32, s String) ENGINE = MergeTree ORDER BY id"), nil), "")
	ok(t, "insert CSV after the query parameter", e.post(t, url.Values{"database": {e.db}, "query": {"INSERT INTO t FORMAT CSV"}},
		strings.NewReader("1,a\n2,\"b,c\"\n"), nil), "")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("INSERT INTO t VALUES (3, 'z')"))
	zw.Close()
	ok(t, "gzip body with VALUES", e.post(t, in, &gz, map[string]string{"Content-Encoding": "gzip"}), "")
	ok(t, "statement and data in the body", e.post(t, in, strings.NewReader("INSERT INTO t FORMAT TSV\n4\tw\n"), nil), "")
	ok(t, "select TSV by default", e.get(t, "SELECT * FROM t ORDER BY id", in), "1\ta\n2\tb,c\n3\tz\n4\tw\n")
	ok(t, "default_format", e.get(t, "SELECT id FROM t ORDER BY id LIMIT 1", url.Values{"database": {e.db}, "default_format": {"JSONEachRow"}}), "{\"id\":1}\n")
	ok(t, "FORMAT clause wins", e.get(t, "SELECT id FROM t ORDER BY id LIMIT 1 FORMAT CSVWithNames", url.Values{"database": {e.db}, "default_format": {"JSON"}}), "\"id\"\n1\n")
	ok(t, "query parameters", e.get(t, "SELECT {x:UInt8} * 2", url.Values{"param_x": {"21"}}), "42\n")
	ok(t, "settings apply to one request", e.get(t, "SELECT getSetting('max_threads')", url.Values{"max_threads": {"1"}}), "1\n")
	ok(t, "and do not leak", e.get(t, "SELECT getSetting('max_threads') != 1", nil), "1\n")
	ok(t, "database does not leak", e.get(t, "SELECT currentDatabase()", nil), servedDB+"\n")
	// Naming the served database, as clients do in every request, takes the path that runs no USE
	// on the request's new connection (core's applyState); the request must still run in it.
	served := url.Values{"database": {servedDB}}
	ok(t, "create in the served database, named", e.post(t, served, strings.NewReader("CREATE OR REPLACE TABLE http_iface (x UInt8) ENGINE = Memory"), nil), "")
	ok(t, "the table is there", e.get(t, "SELECT count() FROM "+servedDB+".http_iface", url.Values{"database": {e.db}}), "0\n")
	ok(t, "current", e.get(t, "SELECT currentDatabase()", served), servedDB+"\n")
	refused(t, "unknown table", e.get(t, "SELECT * FROM nope", nil), 404, "60")
	refused(t, "unknown setting", e.get(t, "SELECT 1", url.Values{"no_such_setting": {"1"}}), 404, "115")
	refused(t, "syntax error", e.get(t, "SELEKT 1", nil), 400, "62")
	refused(t, "two statements", e.post(t, nil, strings.NewReader("SELECT 1; SELECT 2"), nil), 400, "62")
	refused(t, "empty query", e.post(t, nil, strings.NewReader("  "), nil), 400, "62")
	refused(t, "no such handler", do(t, mustReq(http.MethodGet, e.base+"/nope")), 404, "667")
	r := e.get(t, "SELECT 1 FORMAT JSONEachRow", url.Values{"query_id": {"my-id"}})
	if r.header.Get("X-ClickHouse-Query-Id") != "my-id" || r.header.Get("X-ClickHouse-Format") != "JSONEachRow" ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || !strings.Contains(r.header.Get("X-ClickHouse-Summary"), `"read_rows":"1"`) {
		t.Errorf("headers %v", r.header)
	}
}

func mustReq(method, u string) *http.Request {
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		panic(err)
	}
	return req
}

func TestAuthentication(t *testing.T) {
	users, err := auth.Load(strings.NewReader(`users:
  alice:
    password_sha256_hex: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
  reader:
    password_sha256_hex: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
    readonly: true
`))
	if err != nil {
		t.Fatal(err)
	}
	e := start(t, core.Options{Users: users}, serve.Options{})
	cases := []struct {
		name string
		set  func(*http.Request)
		ok   bool
	}{
		{"basic", func(r *http.Request) { r.SetBasicAuth("alice", "secret") }, true},
		{"headers", func(r *http.Request) {
			r.Header.Set("X-ClickHouse-User", "alice")
			r.Header.Set("X-ClickHouse-Key", "secret")
		}, true},
		{"url params", func(r *http.Request) { r.URL.RawQuery += "&user=alice&password=secret" }, true},
		{"none", func(*http.Request) {}, false},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth("alice", "nope") }, false},
		{"unknown user", func(r *http.Request) { r.SetBasicAuth("admin", "secret") }, false},
	}
	for _, c := range cases {
		req := mustReq(http.MethodPost, e.base+"/?query=SELECT+currentUser()+%3D+'default'")
		c.set(req)
		r := do(t, req)
		if c.ok {
			ok(t, c.name, r, "1\n") // every client runs as the engine's sandboxed default user
		} else {
			refused(t, c.name, r, 403, "516")
			if strings.Contains(r.body, "secret") || strings.Contains(r.body, "nope") {
				t.Errorf("%s: the password is in the answer: %q", c.name, r.body)
			}
		}
	}
	// A read-only user reads and changes settings, and writes nothing, even over POST.
	post := func(sql string) reply {
		req := mustReq(http.MethodPost, e.base+"/?"+url.Values{"query": {sql}, "database": {e.db}}.Encode())
		req.SetBasicAuth("reader", "secret")
		return do(t, req)
	}
	ok(t, "reader selects", post("SELECT 1"), "1\n")
	ok(t, "reader sets", post("SELECT getSetting('max_threads') SETTINGS max_threads = 3"), "3\n")
	refused(t, "reader creates", post("CREATE TABLE x (a UInt8) ENGINE = Memory"), 500, "164")
	refused(t, "reader lowers readonly", post("SET readonly = 0"), 500, "164")
}
