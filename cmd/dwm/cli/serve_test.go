package cli

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// served is `dwm serve` running in a process of its own. It gets its own process group:
// SYSTEM SHUTDOWN inside libchdb signals the whole group of the process that runs it, and a
// test must survive whatever its server does.
type served struct {
	t      *testing.T
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT
	port   string
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

var listeningRe = regexp.MustCompile(`http://127\.0\.0\.1:(\d+)`)

// startServe runs `dwm serve --port 0 args...` and waits for the address it prints. The server
// is stopped (SIGINT, then SIGKILL of its group) when the test ends.
func startServe(t *testing.T, env []string, args ...string) *served {
	t.Helper()
	cmd := exec.Command(dwmBinary(t), append([]string{"serve", "--port", "0"}, args...)...)
	cmd.Env = env
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
	portc := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if m := listeningRe.FindStringSubmatch(lines.Text()); m != nil {
				select {
				case portc <- m[1]:
				default:
				}
			}
		}
		_ = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(s.stop)
	select {
	case s.port = <-portc:
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

// serveProject is a tiny project whose prod target is a ClickHouse server over HTTP.
var serveProject = map[string]string{
	"project.yml": `name: shop
target: prod
targets:
  prod:
    type: clickhouse
    protocol: http
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

// TestServeAndRunAgainstIt runs `dwm serve` and `dwm build --target prod` as two processes (each
// has its own engine, so libchdb's one-directory-per-process rule does not bite): the whole
// session path, seeds sent inline, models, tests and an incremental second run, over a real
// ClickHouse protocol endpoint. The password must appear in no output and no artifact.
func TestServeAndRunAgainstIt(t *testing.T) {
	const secret = "Serve-E2E-secret!42"
	env := serveEnv(t, envServePassword+"="+secret, "CH_PASSWORD="+secret)
	srv := startServe(t, env, "--path", filepath.Join(t.TempDir(), "data"))
	dir := projectFor(t, serveProject, srv.port)
	run := func(args ...string) string {
		t.Helper()
		c := exec.Command(dwmBinary(t), args...)
		c.Dir = dir
		c.Env = env
		b, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("dwm %v: %v\n%s", args, err, b)
		}
		if strings.Contains(string(b), secret) {
			t.Fatalf("dwm %v printed the password:\n%s", args, b)
		}
		return string(b)
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
	if strings.Contains(srv.stderr.String(), secret) {
		t.Errorf("dwm serve logged the password: %s", srv.stderr.String())
	}
	// Under go test -race the server is a race-detecting binary too: it reports on stderr.
	if strings.Contains(srv.stderr.String(), "DATA RACE") {
		t.Errorf("dwm serve had a data race:\n%s", srv.stderr.String())
	}
}
