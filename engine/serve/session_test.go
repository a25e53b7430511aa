package serve_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/serve"
	"github.com/dwmhq/dwm/engine/serve/core"
)

func (e *env) inSession(t *testing.T, id, sql string, extra url.Values) reply {
	t.Helper()
	p := url.Values{"session_id": {id}}
	for k, v := range extra {
		p[k] = v
	}
	return e.post(t, p, strings.NewReader(sql), nil)
}

// TestSessionState: what a session sets lives in that session only, for as long as it lives.
func TestSessionState(t *testing.T) {
	e := start(t, core.Options{}, serve.Options{})
	for _, sql := range []string{"SET max_threads = 3", "USE " + e.db, "CREATE TEMPORARY TABLE tmp (x UInt8)", "INSERT INTO tmp VALUES (7)"} {
		ok(t, sql, e.inSession(t, "a", sql, nil), "")
	}
	ok(t, "the session keeps its state", e.inSession(t, "a", "SELECT getSetting('max_threads'), currentDatabase(), (SELECT x FROM tmp)", nil), "3\t"+e.db+"\t7\n")
	ok(t, "another session has none", e.inSession(t, "b", "SELECT getSetting('max_threads') != 3, currentDatabase()", nil), "1\t"+servedDB+"\n")
	refused(t, "nor its temporary table", e.inSession(t, "b", "SELECT * FROM tmp", nil), 404, "60")
	ok(t, "nor a request without a session", e.get(t, "SELECT getSetting('max_threads') != 3, currentDatabase()", nil), "1\t"+servedDB+"\n")
	// A request's own settings and database last for the request, even in a session.
	ok(t, "request settings", e.inSession(t, "a", "SELECT getSetting('max_threads'), currentDatabase()",
		url.Values{"max_threads": {"5"}, "database": {"system"}}), "5\tsystem\n")
	ok(t, "are undone", e.inSession(t, "a", "SELECT getSetting('max_threads'), currentDatabase()", nil), "3\t"+e.db+"\n")
	ok(t, "a setting the session never set goes back to its default", e.inSession(t, "a", "SELECT getSetting('max_block_size') = 1000",
		url.Values{"max_block_size": {"1000"}}), "1\n")
	ok(t, "default again", e.inSession(t, "a", "SELECT getSetting('max_block_size') != 1000", nil), "1\n")
	// Another user's session of the same name is another session.
	if s := e.core.Status().Sessions; s != 2 {
		t.Errorf("%d sessions open, want 2", s)
	}
	ok(t, "close_session", e.inSession(t, "a", "SELECT 1", url.Values{"close_session": {"1"}}), "1\n")
	refused(t, "session_check after close", e.inSession(t, "a", "SELECT 1", url.Values{"session_check": {"1"}}), 500, "372")
	ok(t, "session_check of a live one", e.inSession(t, "b", "SELECT 1", url.Values{"session_check": {"1"}}), "1\n")
	refused(t, "timeout beyond the maximum", e.inSession(t, "c", "SELECT 1", url.Values{"session_timeout": {"1000000"}}), 500, "374")
}

// TestSessionExpiresAndLocks: an idle session closes after its timeout, and a session serves one
// request at a time.
func TestSessionExpiresAndLocks(t *testing.T) {
	e := start(t, core.Options{}, serve.Options{})
	ok(t, "open", e.inSession(t, "short", "CREATE TEMPORARY TABLE tmp (x UInt8)", url.Values{"session_timeout": {"1"}}), "")
	deadline := time.Now().Add(10 * time.Second)
	for e.core.Status().Sessions != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the idle session did not close")
		}
		time.Sleep(50 * time.Millisecond)
	}
	refused(t, "expired", e.inSession(t, "short", "SELECT 1", url.Values{"session_check": {"1"}}), 500, "372")

	done := make(chan reply, 1)
	go func() { done <- e.inSession(t, "busy", "SELECT sleepEachRow(0.5) FROM numbers(4) FORMAT Null", nil) }()
	for e.core.Status().Running == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	refused(t, "locked", e.inSession(t, "busy", "SELECT 1", nil), 500, "373")
	ok(t, "the first request", <-done, "")
	ok(t, "free again", e.inSession(t, "busy", "SELECT 1", nil), "1\n")
}

// TestNothingLeaksBetweenRequests: settings, readonly, USE, query parameters and temporary
// tables set by one request without a session are gone for the next.
func TestNothingLeaksBetweenRequests(t *testing.T) {
	e := start(t, core.Options{}, serve.Options{})
	for _, sql := range []string{"SET readonly = 1", "USE system", "SET max_threads = 1", "CREATE TEMPORARY TABLE tmp (x UInt8)", "SET param_x = 5"} {
		ok(t, sql, e.post(t, nil, strings.NewReader(sql), nil), "")
	}
	ok(t, "param in one request", e.get(t, "SELECT {x:UInt8}", url.Values{"param_x": {"9"}}), "9\n")
	refused(t, "not in the next", e.get(t, "SELECT {x:UInt8}", nil), 500, "456")
	ok(t, "fresh state", e.get(t, "SELECT getSetting('readonly'), currentDatabase(), getSetting('max_threads') != 1", nil), "2\t"+servedDB+"\t1\n")
	ok(t, "writes still work", e.post(t, url.Values{"database": {e.db}}, strings.NewReader("CREATE TABLE w (x UInt8) ENGINE = Memory"), nil), "")
	refused(t, "no temporary table", e.get(t, "SELECT * FROM tmp", nil), 404, "60")
}

// TestGetIsReadonly: as on ClickHouse, GET reads and sets, and writes nothing, with or without
// a session; POST writes.
func TestGetIsReadonly(t *testing.T) {
	e := start(t, core.Options{}, serve.Options{})
	in := url.Values{"database": {e.db}}
	ok(t, "POST creates", e.post(t, in, strings.NewReader("CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x"), nil), "")
	refused(t, "GET inserts", e.get(t, "INSERT INTO t VALUES (1)", in), 500, "164")
	refused(t, "GET drops", e.get(t, "DROP TABLE t", in), 500, "164")
	ok(t, "GET reads with settings", e.get(t, "SELECT count() FROM t SETTINGS max_threads = 1", in), "0\n")
	sess := url.Values{"database": {e.db}, "session_id": {"g"}}
	refused(t, "GET inserts in a session", e.get(t, "INSERT INTO t VALUES (1)", sess), 500, "164")
	ok(t, "GET sets in a session", e.get(t, "SET max_threads = 2", sess), "")
	refused(t, "GET cannot lower readonly", e.get(t, "SET readonly = 0", sess), 500, "164")
	ok(t, "POST in the same session still writes", e.post(t, sess, strings.NewReader("INSERT INTO t VALUES (1)"), nil), "")
	ok(t, "and its SET stuck", e.post(t, sess, strings.NewReader("SELECT getSetting('max_threads'), count() FROM t"), nil), "2\t1\n")
	refused(t, "readonly=1 parameter in a session", e.post(t, url.Values{"session_id": {"g"}, "readonly": {"1"}}, strings.NewReader("INSERT INTO t VALUES (2)"), nil), 500, "164")
}

// TestServerReadonly: --readonly makes every user read-only.
func TestServerReadonly(t *testing.T) {
	e := start(t, core.Options{Readonly: true}, serve.Options{})
	refused(t, "POST create", e.post(t, url.Values{"database": {e.db}}, strings.NewReader("CREATE TABLE t (x UInt8) ENGINE = Memory"), nil), 500, "164")
	ok(t, "POST select", e.post(t, nil, strings.NewReader("SELECT 1"), nil), "1\n")
}

// TestKillByQueryID: KILL QUERY WHERE query_id = '…' stops the user's own statement.
func TestKillByQueryID(t *testing.T) {
	e := start(t, core.Options{}, serve.Options{})
	done := make(chan reply, 1)
	go func() {
		done <- e.post(t, url.Values{"query_id": {"long-one"}}, strings.NewReader("SELECT count() FROM numbers(1e13)"), nil)
	}()
	// Until the core holds its query_id: the core counts a statement as running when it takes a
	// slot, before it registers its id, and a second statement with the same id could register
	// first (seen under the race detector: the second ran, the first was refused).
	deadline := time.Now().Add(30 * time.Second)
	for e.core.Status().Registered == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the statement never registered its query_id")
		}
		time.Sleep(10 * time.Millisecond)
	}
	refused(t, "a second statement with the same id", e.post(t, url.Values{"query_id": {"long-one"}}, strings.NewReader("SELECT 1"), nil), 500, "216")
	ok(t, "kill", e.post(t, nil, strings.NewReader("KILL QUERY WHERE query_id = 'long-one' ASYNC"), nil), "")
	select {
	case r := <-done:
		refused(t, "the killed statement", r, 500, "394")
	case <-time.After(30 * time.Second):
		t.Fatal("the statement was not killed")
	}
	req := mustReq(http.MethodPost, e.base+"/?query=KILL+QUERY+WHERE+1")
	req.SetBasicAuth("default", password)
	refused(t, "other KILLs", do(t, req), 403, "497")
}

// TestPrivateSession: the session a connection-oriented front end (the native protocol) keeps
// for one client connection holds its state across statements, alone, until Close.
func TestPrivateSession(t *testing.T) {
	e := start(t, core.Options{}, serve.Options{})
	ctx := context.Background()
	user, err := e.core.Authenticate("default", password)
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.core.Private(ctx, user)
	if err != nil {
		t.Fatal(err)
	}
	run := func(sql string) string {
		t.Helper()
		p, err := s.Prepare(ctx, core.Statement{Text: sql})
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		var out strings.Builder
		if _, err := p.Run(ctx, &out); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return out.String()
	}
	run("SET max_threads = 3")
	run("CREATE TEMPORARY TABLE tmp (x UInt8)")
	if got := run("SELECT getSetting('max_threads'), count() FROM tmp"); got != "3\t0\n" {
		t.Errorf("private session state: %q", got)
	}
	ok(t, "others do not see it", e.get(t, "SELECT getSetting('max_threads') != 3", nil), "1\n")
	if n := e.core.Status().Sessions; n != 1 {
		t.Errorf("%d sessions, want the private one", n)
	}
	s.Close()
	if n := e.core.Status().Sessions; n != 0 {
		t.Errorf("%d sessions after Close", n)
	}
}
