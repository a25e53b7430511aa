package cli

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// objectStore is a stand-in for an S3 server on loopback: it answers GET and HEAD for any key
// with a small CSV, and counts requests.
type objectStore struct {
	base string
	hits atomic.Int64
}

func startObjectStore(t *testing.T) *objectStore {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &objectStore{base: "http://" + ln.Addr().String()}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		http.ServeContent(w, r, "x.csv", time.Unix(0, 0), strings.NewReader("1,a\n2,b\n"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// TestServeSandbox: through a real `dwm serve`, every escape listed in docs/serve.md is refused,
// SYSTEM SHUTDOWN does not stop the server, settings do not leak between requests, and the
// object store named by AWS_ENDPOINT_URL stays reachable, also through a named collection.
func TestServeSandbox(t *testing.T) {
	const secret = "sandbox-Pw-77!"
	store, elsewhere := startObjectStore(t), startObjectStore(t)
	env := serveEnv(t, envServePassword+"="+secret, "AWS_ENDPOINT_URL="+store.base)
	srv := startServe(t, env, "--path", filepath.Join(t.TempDir(), "data"))
	q := func(sql string) (int, string, string) {
		t.Helper()
		return srv.query(t, "default", secret, sql, nil, nil)
	}
	tmp := t.TempDir()
	secretFile := filepath.Join(tmp, "secret.txt")
	if err := os.WriteFile(secretFile, []byte("TOP-SECRET-LINE\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	written := filepath.Join(tmp, "written")
	for _, sql := range []string{
		"SELECT * FROM file('" + secretFile + "', 'LineAsString')",
		"SELECT file('" + secretFile + "')",
		"INSERT INTO FUNCTION file('" + written + "', 'CSV', 'a UInt8') VALUES (1)",
		"SELECT 1 INTO OUTFILE '" + written + "'",
		"CREATE TABLE x (a String) ENGINE = File(LineAsString, '" + secretFile + "')",
		"SELECT * FROM url('" + elsewhere.base + "/x.csv', 'CSV', 'a UInt8, b String')",
		"SELECT * FROM s3('" + elsewhere.base + "/bucket/x.csv', 'CSV', 'a UInt8, b String')",
		"SELECT * FROM executable('sh', 'TSV', 'a String')",
		"CREATE DICTIONARY d (a UInt64, b String) PRIMARY KEY a SOURCE(EXECUTABLE(command 'cat " + secretFile + "' format 'CSV')) LAYOUT(FLAT()) LIFETIME(0)",
		"CREATE TABLE r (k UInt64) ENGINE = EmbeddedRocksDB(0, '" + written + "') PRIMARY KEY k",
		"SYSTEM SHUTDOWN",
		"SYSTEM KILL",
		"KILL QUERY WHERE 1",
	} {
		st, code, body := q(sql)
		if st == 200 || code != "497" || strings.Contains(body, "TOP-SECRET") {
			t.Errorf("%s\n  was not refused: %d %s %q", sql, st, code, body)
		}
	}
	if st, code, body := q("SELECT * FROM system.one FORMAT Template SETTINGS format_template_row = '" + secretFile + "'"); code != "452" || strings.Contains(body, "TOP-SECRET") {
		t.Errorf("format_template_row: %d %s %q", st, code, body)
	}
	if _, err := os.Stat(written); !os.IsNotExist(err) {
		t.Errorf("a refused statement wrote %s", written)
	}
	if n := elsewhere.hits.Load(); n != 0 {
		t.Errorf("the server reached an address nobody allowed, %d times", n)
	}
	if !srv.alive() {
		t.Fatalf("the server is gone: %s", srv.stderr.String())
	}
	// The operator's object store: AWS_ENDPOINT_URL in serve's environment.
	if st, code, body := q("SELECT * FROM s3('" + store.base + "/bucket/x.csv', 'CSV', 'a UInt8, b String') ORDER BY a"); body != "1\ta\n2\tb\n" {
		t.Errorf("s3() to the configured store: %d %s %q", st, code, body)
	}
	for _, sql := range []string{
		"CREATE NAMED COLLECTION store AS url = '" + store.base + "/bucket/x.csv', access_key_id = 'AK', secret_access_key = 'SK'",
		"SELECT count() FROM s3(store, format = 'CSV', structure = 'a UInt8, b String')",
	} {
		if st, code, body := q(sql); st != 200 {
			t.Errorf("%s: %d %s %s", sql, st, code, body)
		}
	}
	// Nothing one request sets reaches the next.
	for _, sql := range []string{"SET readonly = 1", "USE system", "SET max_threads = 1"} {
		if st, code, body := q(sql); st != 200 {
			t.Fatalf("%s: %d %s %s", sql, st, code, body)
		}
	}
	if _, _, body := q("SELECT getSetting('readonly'), currentDatabase(), getSetting('max_threads') != 1"); body != "0\tdefault\t1\n" {
		t.Errorf("state leaked between requests: %q", body)
	}
	if _, _, body := q("CREATE TABLE still_writable (a UInt8) ENGINE = Memory"); body != "" {
		t.Errorf("writes after another request's SET readonly: %q", body)
	}
}

// csvSource generates rows of CSV until size bytes, without holding them.
type csvSource struct {
	size, sent int64
	row        int
	pending    []byte
}

func (c *csvSource) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(c.pending) == 0 {
			if c.sent >= c.size {
				break
			}
			c.pending = []byte(strconv.Itoa(c.row) + ",name-" + strconv.Itoa(c.row) + ",some text that pads the row a little,3.5\n")
			c.row++
		}
		k := copy(p[n:], c.pending)
		c.pending = c.pending[k:]
		n += k
		c.sent += int64(k)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// TestServeStreamsInBoundedMemory: a 330 MB insert streams into the engine, and the table streams
// back out as a ~600 MB JSON document: the server's peak RSS stays under 1.5 GB (libchdb alone,
// at rest, is about 200 MB) and grows by less than half the answer's size.
func TestServeStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the 330 MB insert is skipped")
	}
	env := serveEnv(t)
	srv := startServe(t, env, "--path", filepath.Join(t.TempDir(), "data"))
	if st, code, body := srv.query(t, "default", "", "CREATE TABLE big (id UInt64, name String, pad String, x Float64) ENGINE = MergeTree ORDER BY id", nil, nil); st != 200 {
		t.Fatalf("create: %d %s %s", st, code, body)
	}
	atRest := srv.memKB("VmHWM")
	src := &csvSource{size: 330 << 20}
	start := time.Now()
	st, code, body := srv.query(t, "default", "", "INSERT INTO big FORMAT CSV", nil, src)
	took := time.Since(start)
	if st != 200 {
		t.Fatalf("insert: %d %s %s", st, code, body)
	}
	peak := srv.memKB("VmHWM")
	_, _, count := srv.query(t, "default", "", "SELECT count(), max(id) FROM big", nil, nil)
	if want := fmt.Sprintf("%d\t%d\n", src.row, src.row-1); count != want {
		t.Errorf("count %q, want %q", count, want)
	}
	t.Logf("330 MB insert: %v, peak RSS %d MB (at rest before it: %d MB, ratio %.1f)", took.Round(time.Millisecond),
		peak>>10, atRest>>10, float64(peak)/float64(atRest))
	if peak > 1500<<10 {
		t.Errorf("peak RSS %d MB over 1.5 GB", peak>>10)
	}

	srv.resetPeak() // the read's own peak, not the insert's
	before := srv.memKB("VmRSS")
	req, err := http.NewRequest(http.MethodGet, srv.base+"/?query=SELECT+*+FROM+big+FORMAT+JSON", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	start = time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("read back: %d, %v", res.StatusCode, err)
	}
	after := srv.memKB("VmHWM")
	t.Logf("JSON answer: %d MB in %v, peak RSS while answering %d MB (%d MB before)", n>>20,
		time.Since(start).Round(time.Millisecond), after>>10, before>>10)
	// Buffered whole, the answer alone would add its size to the server's memory.
	if after > 1500<<10 || (after-before)<<10 > n/2 {
		t.Errorf("answer of %d MB took the peak RSS from %d MB to %d MB", n>>20, before>>10, after>>10)
	}
}

// TestServeUsersFile: --users-file replaces --user/--password, with hashed passwords and
// read-only users; a bad file is a usage error naming it.
func TestServeUsersFile(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users.yml")
	// "secret" hashed with SHA-256.
	if err := os.WriteFile(users, []byte("users:\n  alice:\n    password_sha256_hex: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b\n"+
		"  reader:\n    password_sha256_hex: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b\n    readonly: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := serveEnv(t)
	srv := startServe(t, env, "--path", filepath.Join(dir, "data"), "--users-file", users)
	if st, code, body := srv.query(t, "alice", "secret", "CREATE TABLE t (a UInt8) ENGINE = Memory", nil, nil); st != 200 {
		t.Errorf("alice writes: %d %s %s", st, code, body)
	}
	if st, code, _ := srv.query(t, "reader", "secret", "INSERT INTO t VALUES (1)", nil, nil); st == 200 || code != "164" {
		t.Errorf("reader writes: %d %s", st, code)
	}
	if _, _, body := srv.query(t, "reader", "secret", "SELECT count() FROM t", nil, nil); body != "0\n" {
		t.Errorf("reader reads: %q", body)
	}
	for _, who := range [][2]string{{"alice", "Secret"}, {"default", ""}, {"mallory", "secret"}} {
		if st, code, _ := srv.query(t, who[0], who[1], "SELECT 1", nil, nil); st != 403 || code != "516" {
			t.Errorf("%s: %d %s", who[0], st, code)
		}
	}
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("users:\n  x:\n    password: plain\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dwmBinary(t), "serve", "--port", "0", "--path", filepath.Join(dir, "data2"), "--users-file", bad)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), bad) {
		t.Errorf("bad users file: %v\n%s", err, out)
	}
}
