package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"

	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// served is `dwm serve` running in a process of its own. It gets its own process group:
// SYSTEM SHUTDOWN inside libchdb signals the whole group of the process that runs it, and a
// test must survive whatever its server does.
type served struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT
	port   string // the HTTP port
	tcp    string // the native protocol's host:port
	stderr *lockedBuffer
	exited chan struct{}
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveEnv is the environment `dwm serve` and the clients run with: libchdb found, no colour,
// plus extra.
func serveEnv(t *testing.T, extra ...string) []string {
	t.Helper()
	lib := ""
	for _, p := range chdb.LibraryCandidates("", os.Getenv) {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			lib = p
			break
		}
	}
	if lib == "" {
		if os.Getenv("DWM_SKIP_CHDB") == "1" {
			t.Skip("DWM_SKIP_CHDB=1")
		}
		t.Fatal("libchdb not found (run `make setup`)")
	}
	return append(append(os.Environ(), chdb.EnvLibrary+"="+lib, "NO_COLOR=1"), extra...)
}

// dwmBinary is the test binary itself, which testscript.Main put on PATH as dwm.
func dwmBinary(t *testing.T) string {
	t.Helper()
	dwm, err := exec.LookPath("dwm")
	if err != nil {
		t.Fatal(err)
	}
	return dwm
}

// endpointRe matches the lines in which dwm serve names its endpoints.
var endpointRe = regexp.MustCompile(`^dwm serve: listening on (http|tcp)://(127\.0\.0\.1:(\d+))$`)

// startServe runs `dwm serve --port 0 --tcp-port 0 args...` and waits for the endpoints it
// prints. The server is stopped (SIGINT, then SIGKILL of its group) when the test ends.
func startServe(t *testing.T, env []string, args ...string) *served {
	t.Helper()
	return startServeIn(t, env, "", args...)
}

// startServeIn is startServe run in dir (a project's directory, when args name no --path).
func startServeIn(t *testing.T, env []string, dir string, args ...string) *served {
	t.Helper()
	cmd := exec.Command(dwmBinary(t), append([]string{"serve", "--port", "0", "--tcp-port", "0"}, args...)...)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &served{t: t, cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan map[string][]string, 1)
	go func() {
		found := map[string][]string{}
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if m := endpointRe.FindStringSubmatch(lines.Text()); m != nil {
				found[m[1]] = m[2:]
			}
			if strings.HasPrefix(lines.Text(), "dwm serve: data ") {
				select {
				case ready <- found:
				default:
				}
			}
		}
		_ = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.stop)
	select {
	case found := <-ready:
		if found["http"] == nil || found["tcp"] == nil {
			t.Fatalf("dwm serve named endpoints %v", found)
		}
		s.port, s.tcp = found["http"][1], found["tcp"][0]
	case <-s.exited:
		t.Fatalf("dwm serve exited: %s", s.stderr.String())
	case <-time.After(120 * time.Second):
		t.Fatalf("dwm serve did not start: %s", s.stderr.String())
	}
	s.base = "http://127.0.0.1:" + s.port
	return s
}

func (s *served) stop() {
	if s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
}

// alive reports whether the server process runs and answers /ping.
func (s *served) alive() bool {
	select {
	case <-s.exited:
		return false
	default:
	}
	res, err := http.Get(s.base + "/ping")
	if err != nil {
		return false
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode == 200 && string(b) == "Ok.\n"
}

// memKB reads a VmHWM or VmRSS line (in kB) of the server's /proc status.
func (s *served) memKB(field string) int64 {
	s.t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/status")
	if err != nil {
		s.t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				s.t.Fatal(err)
			}
			return n
		}
	}
	s.t.Fatalf("no %s in /proc status", field)
	return 0
}

// resetPeak resets the server's VmHWM to its current RSS (Linux's clear_refs), so the next
// reading is the peak of what follows.
func (s *served) resetPeak() {
	s.t.Helper()
	if err := os.WriteFile("/proc/"+strconv.Itoa(s.cmd.Process.Pid)+"/clear_refs", []byte("5"), 0); err != nil {
		s.t.Fatalf("reset peak RSS: %v", err)
	}
}

// query sends one statement by POST and returns status, exception code and body.
func (s *served) query(t *testing.T, user, password, sql string, params url.Values, body io.Reader) (int, string, string) {
	t.Helper()
	p := url.Values{"query": {sql}}
	for k, v := range params {
		p[k] = v
	}
	req, err := http.NewRequest(http.MethodPost, s.base+"/?"+p.Encode(), body)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header.Get("X-ClickHouse-Exception-Code"), string(b)
}

// serveProject is a tiny project whose prod target is a ClickHouse server (PROTOCOL, PORT).
var serveProject = map[string]string{
	"project.yml": `name: shop
target: prod
targets:
  prod:
    type: clickhouse
    protocol: PROTOCOL
    host: 127.0.0.1
    port: PORT
    password: '{{ env_var "CH_PASSWORD" }}'
`,
	"seeds/customers.csv": "id,name,country\n1,ann,fr\n2,bob,de\n3,cid,fr\n",
	"models/totals.sql":   "{{ config \"materialized\" \"table\" \"order_by\" \"id\" }}\nselect id, name, length(name) as n from {{ ref \"customers\" }}\n",
	"models/fr.sql":       "select * from {{ ref \"totals\" }} where id in (select id from {{ ref \"customers\" }} where country = 'fr')\n",
	"models/events.sql": `{{ config "materialized" "incremental" "order_by" "n" }}
select number as n from numbers({{ var "n" 5 }})
{{ if is_incremental }}where n > (select max(n) from {{ this }}){{ end }}
`,
	"models/schema.yml": "models:\n  - name: totals\n    columns:\n      - name: id\n        data_tests: [not_null, unique]\n",
}

// projectFor writes files into a fresh directory, putting port where a file says PORT.
func projectFor(t *testing.T, files map[string]string, port string) string {
	t.Helper()
	dir := t.TempDir()
	withPort := make(map[string]string, len(files))
	for name, body := range files {
		withPort[name] = strings.ReplaceAll(body, "PORT", port)
	}
	writeProject(t, dir, withPort)
	return dir
}

// replaced returns files with each old, new pair of replace applied to every file.
func replaced(files map[string]string, replace ...string) map[string]string {
	r := strings.NewReplacer(replace...)
	out := make(map[string]string, len(files))
	for name, body := range files {
		out[name] = r.Replace(body)
	}
	return out
}

// runDwm runs dwm args in dir and returns its combined output; it fails t when dwm fails.
func runDwm(t *testing.T, env []string, dir string, args ...string) string {
	t.Helper()
	c := exec.Command(dwmBinary(t), args...)
	c.Dir, c.Env = dir, env
	b, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("dwm %v: %v\n%s", args, err, b)
	}
	return string(b)
}

// TestServeAndRunAgainstIt runs `dwm serve` and `dwm build --target prod` as two processes (each
// has its own engine, so libchdb's one-directory-per-process rule does not bite): the whole
// session path, seeds sent inline, models, tests and an incremental second run, over a real
// ClickHouse protocol endpoint, once over HTTP and once over the native protocol. The password
// must appear in no output and no artifact.
func TestServeAndRunAgainstIt(t *testing.T) {
	const secret = "Serve-E2E-secret!42"
	env := serveEnv(t, envServePassword+"="+secret, "CH_PASSWORD="+secret)
	for _, protocol := range []string{"http", "native"} {
		t.Run(protocol, func(t *testing.T) {
			srv := startServe(t, env, "--path", filepath.Join(t.TempDir(), "data"))
			port := srv.port
			if protocol == "native" {
				port = strings.TrimPrefix(srv.tcp, "127.0.0.1:")
			}
			dir := t.TempDir()
			writeProject(t, dir, replaced(serveProject, "PORT", port, "PROTOCOL", protocol))
			run := func(args ...string) string {
				t.Helper()
				out := runDwm(t, env, dir, args...)
				if strings.Contains(out, secret) {
					t.Fatalf("dwm %v printed the password:\n%s", args, out)
				}
				return out
			}
			got := run("build", "--target", "prod")
			for _, want := range []string{
				`OK seed file shop.customers .* \[INSERT 3 `,
				`OK table model shop.totals .* \[CREATE 3 `,
				`OK view model shop.fr `,
				`OK incremental model shop.events .* \[CREATE 5 `,
				`PASS=6 WARN=0 ERROR=0 SKIP=0 TOTAL=6`,
			} {
				if !regexp.MustCompile(want).MatchString(got) {
					t.Errorf("build output lacks %q:\n%s", want, got)
				}
			}
			got = run("run", "-s", "events", "--vars", "{n: 8}")
			if !strings.Contains(got, "[INSERT 3 ") {
				t.Errorf("incremental run:\n%s", got)
			}
			got = run("show", "--inline", `select count() as c, max(n) as hi from {{ ref "events" }}`, "--output", "csv")
			if !strings.Contains(got, "c,hi\n8,7\n") {
				t.Errorf("show:\n%s", got)
			}
			got = run("show", "--inline", `select name from {{ ref "fr" }} order by id`, "--output", "csv")
			if !strings.Contains(got, "name\nann\ncid\n") {
				t.Errorf("show fr:\n%s", got)
			}
			run("debug")
			// Nothing dwm wrote may hold the password.
			err := filepath.Walk(filepath.Join(dir, "target"), func(p string, info os.FileInfo, err error) error {
				if err != nil || info.IsDir() {
					return err
				}
				b, err := os.ReadFile(p)
				if err == nil && strings.Contains(string(b), secret) {
					t.Errorf("%s holds the password", p)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			srv.stop()
			if log := srv.stderr.String(); strings.Contains(log, secret) {
				t.Errorf("dwm serve logged the password: %s", log)
			}
		})
	}
}

// localProject is serveProject on the default embedded target.
var localProject = func() map[string]string {
	files := map[string]string{"project.yml": "name: shop\n"}
	for name, body := range serveProject {
		if name != "project.yml" {
			files[name] = body
		}
	}
	return files
}()

// TestCommandsGoThroughRunningServer: while `dwm serve` holds a project's embedded warehouse,
// build, run, test, show and docs generate on that project go through it, say so, and give the
// results the same project gives embedded; what they wrote is in the project's own warehouse.
func TestCommandsGoThroughRunningServer(t *testing.T) {
	env := serveEnv(t)
	embedded, served := t.TempDir(), t.TempDir()
	writeProject(t, embedded, localProject)
	writeProject(t, served, localProject)
	queries := []string{
		`select * from {{ ref "customers" }} order by id`,
		`select * from {{ ref "totals" }} order by id`,
		`select * from {{ ref "fr" }} order by id`,
		`select * from {{ ref "events" }} order by n`,
	}
	show := func(dir, q string) (stdout, stderr string) {
		t.Helper()
		c := exec.Command(dwmBinary(t), "show", "--inline", q, "--output", "csv")
		c.Dir, c.Env = dir, env
		var o, e strings.Builder
		c.Stdout, c.Stderr = &o, &e
		if err := c.Run(); err != nil {
			t.Fatalf("show %s: %v\n%s%s", q, err, o.String(), e.String())
		}
		return o.String(), e.String()
	}
	runDwm(t, env, embedded, "build")
	runDwm(t, env, embedded, "run", "-s", "events", "--vars", "{n: 8}")
	want := map[string]string{}
	for _, q := range queries {
		want[q], _ = show(embedded, q)
	}
	catalog := regexp.MustCompile(`Catalog of \d+ relations`).FindString(runDwm(t, env, embedded, "docs", "generate"))
	if catalog == "" {
		t.Fatal("docs generate printed no catalog size")
	}

	srv := startServeIn(t, env, served)
	note := regexp.MustCompile(`note: the warehouse is held by dwm serve \(pid \d+\); running through it at tcp://127\.0\.0\.1:\d+`)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"build"}, "PASS=6 WARN=0 ERROR=0 SKIP=0 TOTAL=6"},
		{[]string{"run", "-s", "events", "--vars", "{n: 8}"}, "[INSERT 3 "},
		{[]string{"test"}, "PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2"},
		{[]string{"docs", "generate"}, catalog},
	} {
		out := runDwm(t, env, served, c.args...)
		if !note.MatchString(out) || !strings.Contains(out, c.want) {
			t.Errorf("dwm %v through the server:\n%s", c.args, out)
		}
	}
	for _, q := range queries {
		got, stderr := show(served, q)
		if got != want[q] || !note.MatchString(stderr) {
			t.Errorf("show %s through the server:\n%s%s\nwant\n%s", q, stderr, got, want[q])
		}
	}
	srv.stop()
	if _, err := os.Stat(filepath.Join(served, ".dwm", "dev", "dwm-serve.json")); !os.IsNotExist(err) {
		t.Errorf("discovery file after serve stopped: %v", err)
	}
	// Embedded again: what went through the server is in the project's warehouse.
	for _, q := range queries {
		got, stderr := show(served, q)
		if got != want[q] || note.MatchString(stderr) {
			t.Errorf("show %s embedded after serve stopped:\n%s%s\nwant\n%s", q, stderr, got, want[q])
		}
	}
}

// TestServeNativeProtocol drives a `dwm serve` process with clickhouse-go's native transport:
// DDL, a batch insert of mixed types read back value by value, an exception, a cancelled query
// that stops in the server's engine, and LZ4 and ZSTD compression.
func TestServeNativeProtocol(t *testing.T) {
	const secret = "Native-E2E-secret!7"
	env := serveEnv(t, envServePassword+"="+secret)
	srv := startServe(t, env, "--path", filepath.Join(t.TempDir(), "data"))
	connect := func(method clickhouse.CompressionMethod) clickhouse.Conn {
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.tcp}, Auth: clickhouse.Auth{Password: secret},
			Compression: &clickhouse.Compression{Method: method}, MaxOpenConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	ctx := context.Background()
	conn := connect(clickhouse.CompressionLZ4)
	if err := conn.Exec(ctx, `CREATE TABLE m (id UInt64, note Nullable(String), kind LowCardinality(String), xs Array(UInt32),
		at DateTime64(3, 'UTC'), price Decimal(18, 4)) ENGINE = MergeTree ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	type row struct {
		id    uint64
		note  *string
		kind  string
		xs    []uint32
		at    time.Time
		price decimal.Decimal
	}
	mk := func(i int) row {
		r := row{id: uint64(i), kind: []string{"a", "b"}[i%2], xs: []uint32{uint32(i), 7}, at: time.UnixMilli(1714979289000 + int64(i)).UTC(),
			price: decimal.New(int64(i)*3, -1)}
		if i%3 > 0 {
			s := "n" + strconv.Itoa(i)
			r.note = &s
		}
		return r
	}
	const n = 10000
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO m")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		r := mk(i)
		if err := batch.Append(r.id, r.note, r.kind, r.xs, r.at, r.price); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []clickhouse.Conn{conn, connect(clickhouse.CompressionZSTD)} {
		rows, err := c.Query(ctx, "SELECT id, note, kind, xs, at, price FROM m ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		for rows.Next() {
			var got row
			if err := rows.Scan(&got.id, &got.note, &got.kind, &got.xs, &got.at, &got.price); err != nil {
				t.Fatal(err)
			}
			want := mk(i)
			same := got.id == want.id && (got.note == nil) == (want.note == nil) &&
				(got.note == nil || *got.note == *want.note) && got.kind == want.kind && reflect.DeepEqual(got.xs, want.xs) &&
				got.at.Equal(want.at) && got.price.Equal(want.price)
			if !same {
				t.Fatalf("row %d: got %+v, want %+v", i, got, want)
			}
			i++
		}
		if rows.Err() != nil || i != n {
			t.Fatalf("read %d rows: %v", i, rows.Err())
		}
	}
	var ex *clickhouse.Exception
	if err := conn.Exec(ctx, "SELECT * FROM nope"); !errors.As(err, &ex) || ex.Code != 60 {
		t.Errorf("unknown table: %v", err)
	}
	qctx, cancel := context.WithCancel(ctx)
	defer time.AfterFunc(300*time.Millisecond, cancel).Stop()
	if err := conn.QueryRow(qctx, "SELECT count() FROM numbers(100000000000) -- e2e_cancel").Scan(new(uint64)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var left uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.processes WHERE query LIKE '%e2e_cancel%' AND query NOT LIKE '%system.processes%'").Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cancelled query still runs in dwm serve")
		}
	}
	// Under go test -race the server is a race-detecting binary too: it reports on stderr.
	if strings.Contains(srv.stderr.String(), "DATA RACE") {
		t.Errorf("dwm serve had a data race:\n%s", srv.stderr.String())
	}
}
