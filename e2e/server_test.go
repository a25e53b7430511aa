package e2e

import (
	"bufio"
	"errors"
	"io"
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

	"github.com/dwmhq/dwm/internal/s3test"
)

// The server path end to end: the leagues warehouse built through a ClickHouse server target
// (`type: clickhouse, protocol: http`) whose server is `dwm serve` in another process, with the
// CDC files in a real S3 server (versitygw) or sent by dwm from the local disk, compared with the
// embedded build from the same files on local disk.

// serveProc is a `dwm serve` in its own process group: a statement such as SYSTEM SHUTDOWN
// signals the whole group of the process that runs it, which must not be the test's.
type serveProc struct {
	cmd  *exec.Cmd
	port string
	done chan struct{}
}

var listenRe = regexp.MustCompile(`listening on http://127\.0\.0\.1:(\d+)`)

// startServe serves dataDir on a loopback port ("0": a free one), with env added to its
// environment (the object store it may read), until the test ends.
func startServe(t *testing.T, dataDir, port string, env []string) *serveProc {
	t.Helper()
	cmd := exec.Command(dwmBin, "serve", "--path", dataDir, "--host", "127.0.0.1", "--port", port, "--tcp-port", "0")
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &serveProc{cmd: cmd, done: make(chan struct{})}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listenRe.FindStringSubmatch(sc.Text()); m != nil {
				listening <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { _ = cmd.Wait(); cpuUsed.charge(t, cmd.ProcessState, "serve"); close(s.done) }()
	t.Cleanup(s.stop)
	select {
	case s.port = <-listening:
	case <-s.done:
		t.Fatalf("dwm serve exited before listening:\n%s", stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("dwm serve did not listen within 60 s:\n%s", stderr.String())
	}
	return s
}

// stop ends the server (SIGTERM, then SIGKILL) and waits for it; safe to call twice.
func (s *serveProc) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// addServerTarget adds a server target to a copied project's project.yml; extra is YAML flow-map
// entries to add (", s3: {...}").
func addServerTarget(t *testing.T, dir, name, port, database, extra string) {
	t.Helper()
	addTarget(t, dir, name, "{type: clickhouse, protocol: http, host: 127.0.0.1, port: "+port+", database: "+database+extra+"}")
}

// run is one dwm invocation of a variant.
type variant struct {
	name string
	dir  string
	env  []string
	args []string // --target and --vars
}

func (v variant) dwm(t *testing.T, args ...string) result {
	t.Helper()
	return dwm(t, v.dir, v.env, append(append([]string{}, args...), v.args...)...)
}

func (v variant) mustDwm(t *testing.T, args ...string) result {
	t.Helper()
	r := v.dwm(t, args...)
	if r.code != 0 {
		t.Fatalf("%s: dwm %s: exit %d\nstdout:\n%s\nstderr:\n%s", v.name, strings.Join(args, " "), r.code, tail(r.stdout, 40), r.stderr)
	}
	return r
}

// sums is `dwm checksum` of every model, leaving out columns that differ by design.
func (v variant) sums(t *testing.T, ignore string) map[string]string {
	t.Helper()
	r := v.mustDwm(t, "checksum", "--ignore-columns", ignore)
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 3 {
			out[f[0]] = f[1] + " " + f[2]
		}
	}
	if len(out) < 15 {
		t.Fatalf("%s: checksum listed only %d relations:\n%s", v.name, len(out), r.stdout)
	}
	return out
}

// build runs `dwm build` and requires every node and test to pass.
func (v variant) build(t *testing.T) {
	t.Helper()
	v.command(t, "build")
}

// command runs dwm build (models and every test) or dwm run (models only) and requires success.
func (v variant) command(t *testing.T, cmd string) {
	t.Helper()
	r := v.mustDwm(t, cmd)
	if !strings.Contains(r.stdout, "ERROR=0") || strings.Contains(r.stdout, "FAIL=") && !strings.Contains(r.stdout, "FAIL=0") {
		t.Fatalf("%s: %s did not pass every node:\n%s", v.name, cmd, tail(r.stdout, 30))
	}
}

// generated writes weeks 1..weeks of the small warehouse once; deliver copies a week's files.
func generated(t *testing.T, weeks int) string {
	t.Helper()
	dir := t.TempDir()
	mustDwm(t, dir, append([]string{"generate", "--weeks", strconv.Itoa(weeks), "-q", "--out", "cdc"}, small...)...)
	return filepath.Join(dir, "cdc")
}

func weekDir(w int) string { return "w" + leftPad(strconv.Itoa(w)) }

func leftPad(s string) string { return strings.Repeat("0", 3-len(s)) + s }

// deliver makes week w's files (and w000 with week 1) arrive in a project's data/cdc.
func deliver(t *testing.T, gen, project string, w int) {
	t.Helper()
	for _, d := range weekFolders(w) {
		if err := copyTree(filepath.Join(gen, d), filepath.Join(project, "data", "cdc", d)); err != nil {
			t.Fatal(err)
		}
	}
}

// upload makes week w's files arrive in the bucket, through the S3 API.
func upload(t *testing.T, s3 *s3test.Server, gen, bucket string, w int) {
	t.Helper()
	for _, d := range weekFolders(w) {
		s3.PutTree(t, filepath.Join(gen, d), bucket, "cdc/"+d)
	}
}

func weekFolders(w int) []string {
	if w == 1 {
		return []string{"w000", weekDir(1)}
	}
	return []string{weekDir(w)}
}

// buildAll runs cmd (build or run) for the variants at once, as parallel subtests: the dwm
// processes are independent, and a week's builds overlap their waits on the engines.
func buildAll(t *testing.T, week int, cmd string, vs ...variant) {
	t.Helper()
	ok := t.Run("week "+strconv.Itoa(week), func(t *testing.T) {
		for _, v := range vs {
			t.Run(v.name, func(t *testing.T) {
				t.Parallel()
				v.command(t, cmd)
			})
		}
	})
	if !ok {
		t.FailNow()
	}
}

// TestServerWarehouse builds the leagues warehouse week by week for 4 weeks through a server
// target reading the CDC files from S3, and compares every model with the embedded build from the
// same files on local disk. Alongside: the server target reading local files that dwm sends (weeks
// 1-2), the embedded target reading S3 and the server using its own S3 credentials (week 1).
// Weeks 1 and 2 run the models; weeks 3 and 4 arrive together and are built with every data test.
// Week 2 of the server build is also killed at points spread over it (serverCrashes).
func TestServerWarehouse(t *testing.T) {
	t.Parallel()
	const weeks = 4
	gen := generated(t, weeks)
	s3 := s3test.Start(t)
	s3.CreateBucket(t, "lake")
	serveDir := t.TempDir()
	sv := startServe(t, serveDir, "0", s3.Env())
	onS3 := "{cdc_dir: s3://lake/cdc}"

	ref := variant{name: "embedded, local files", dir: copyProject(t)}
	server := variant{name: "server, S3", dir: copyProject(t), env: s3.Env(), args: []string{"--target", "srv", "--vars", onS3}}
	addServerTarget(t, server.dir, "srv", sv.port, "duolingo", "")
	embS3 := variant{name: "embedded, S3", dir: copyProject(t), env: s3.Env(), args: []string{"--vars", onS3}}
	streamed := variant{name: "server, local files sent by dwm", dir: copyProject(t), args: []string{"--target", "srv"}}
	addServerTarget(t, streamed.dir, "srv", sv.port, "duolingo_sent", "")
	// The server's own credentials: dwm knows the endpoint and sends no keys.
	serverKeys := variant{name: "server, S3, the server's credentials", dir: copyProject(t),
		env: []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="}, args: []string{"--target", "srv", "--vars", onS3}}
	addServerTarget(t, serverKeys.dir, "srv", sv.port, "duolingo_keys", ", s3: {endpoint: '"+s3.Endpoint+"', credentials: server}")

	var week1 string // a copy of the server's data after week 1, where the crashes start
	for w := 1; w <= weeks; w++ {
		deliver(t, gen, ref.dir, w)
		deliver(t, gen, streamed.dir, w)
		upload(t, s3, gen, "lake", w)
		if w == weeks-1 {
			continue // weeks 3 and 4 arrive together: one build loads two files per model on both paths
		}
		builds := []variant{ref, server}
		if w <= 2 {
			builds = append(builds, streamed)
		}
		if w == 1 {
			builds = append(builds, embS3, serverKeys)
		}
		// The models every week, the data tests on the last week's build (as TestCDCToolTables):
		// this test is about the server path's contents, and the tests then read every row.
		cmd := "run"
		if w == weeks {
			cmd = "build"
		}
		buildAll(t, w, cmd, builds...)
		// _file names where a row came from (data/cdc/... or s3://lake/cdc/...): equal builds
		// from S3 differ there and nowhere else.
		want := ref.sums(t, "inserted_at,_file")
		check := []variant{server}
		if w == 1 {
			check = append(check, embS3, serverKeys)
		}
		for _, v := range check {
			if d := diffSums(want, v.sums(t, "inserted_at,_file")); len(d) > 0 {
				t.Fatalf("week %d: %s differs from the embedded build of the local files:\n%s", w, v.name, strings.Join(d, "\n"))
			}
		}
		if w <= 2 { // sent rows keep their file names: equal including _file
			if d := diffSums(ref.sums(t, "inserted_at"), streamed.sums(t, "inserted_at")); len(d) > 0 {
				t.Fatalf("week %d: %s differs in _file:\n%s", w, streamed.name, strings.Join(d, "\n"))
			}
		}
		switch w {
		case 1: // snapshot the server's data: stop it, copy, serve again on the same port
			sv.stop()
			week1 = t.TempDir()
			if err := copyTree(serveDir, week1); err != nil {
				t.Fatal(err)
			}
			sv = startServe(t, serveDir, sv.port, s3.Env())
		case 2:
			serverCrashes(t, week1, s3, server.args, server.sums(t, "inserted_at"))
		}
	}
	// The S3 build's rows name their objects.
	got := server.mustDwm(t, "show", "--inline", `select _file from {{ ref "users_staging" }} group by _file order by _file`, "--limit", "10").stdout
	for w := 1; w <= weeks; w++ {
		if !strings.Contains(got, "s3://lake/cdc/"+weekDir(w)+"/users.csv") {
			t.Fatalf("users_staging._file lacks week %d's object:\n%s", w, got)
		}
	}
	// The keys appear nowhere dwm writes: artifacts, run logs, the embedded warehouse's files.
	for _, v := range []variant{server, embS3, serverKeys} {
		assertNoSecret(t, v.dir, s3.SecretKey)
	}
	assertNoSecret(t, serveDir, s3.SecretKey)
}

// serverCrashes kills dwm (SIGKILL) at points spread over week 2's build through the server
// target (staging loads from S3, SCD2 batches, the fact, the marts), runs the build again, and
// requires every model to equal the uninterrupted build (want). Each kill starts from a copy of
// the server's data after week 1, served by its own dwm serve.
func serverCrashes(t *testing.T, week1 string, s3 *s3test.Server, args []string, want map[string]string) {
	t.Helper()
	// With one thread the statements come in a fixed order: an uninterrupted build from the same
	// state logs them, and the points are chosen there by what they interrupt (as in
	// crash_test.go), so they keep landing in the node kinds required below when the build's
	// statements change; the runner's output says where each kill landed.
	refData := t.TempDir()
	if err := copyTree(week1, refData); err != nil {
		t.Fatal(err)
	}
	refServe := startServe(t, refData, "0", s3.Env())
	ref := variant{name: "server, S3, reference", dir: copyProject(t), env: s3.Env(), args: args}
	addServerTarget(t, ref.dir, "srv", refServe.port, "duolingo", "")
	logPath := filepath.Join(t.TempDir(), "statements.log")
	if r := dwm(t, ref.dir, append(ref.env, "DWM_STATEMENT_LOG="+logPath), append([]string{"build", "--threads", "1"}, ref.args...)...); r.code != 0 {
		t.Fatalf("reference build for the crash points: exit %d\n%s", r.code, tail(r.stdout, 20))
	}
	refServe.stop()
	log := readStatementLog(t, logPath, ref.dir)
	var points []int
	for _, p := range []crashPoint{
		{name: "staging: a file loaded, not committed", node: "model.duolingo.users_staging", match: ledgerInsert, nth: 1},
		{name: "scd2: batch committed, processed not marked", node: "model.duolingo.ligue_instances", match: ledgerInsert, nth: 1, after: true},
		{name: "fact: partition swapped in, not committed", node: "model.duolingo.event_stream", match: "REPLACE PARTITION", nth: 1, after: true},
		{name: "table: mart exchanged, old table not dropped", node: "model.duolingo.mart_weekly_league_summary", match: "EXCHANGE TABLES", nth: 1, after: true},
	} {
		n, _ := p.limit(t, log)
		points = append(points, n)
	}
	var mu sync.Mutex
	landed := map[string]bool{}
	startRe := regexp.MustCompile(`START (\w+) model (\S+)`)
	// The kills are independent (each has its own copy and server), so they run at once.
	ok := t.Run("crashes", func(t *testing.T) {
		for _, n := range points {
			t.Run(strconv.Itoa(n), func(t *testing.T) {
				t.Parallel()
				data := t.TempDir()
				if err := copyTree(week1, data); err != nil {
					t.Fatal(err)
				}
				sv := startServe(t, data, "0", s3.Env())
				v := variant{name: "server, S3, crashed", dir: copyProject(t), env: s3.Env(), args: args}
				addServerTarget(t, v.dir, "srv", sv.port, "duolingo", "")
				r := dwm(t, v.dir, append(v.env, "DWM_CRASH_AFTER="+strconv.Itoa(n)), append([]string{"build", "--threads", "1"}, v.args...)...)
				if !r.killed {
					t.Fatalf("crash point %d: the build was not killed (exit %d):\n%s", n, r.code, tail(r.stdout, 20))
				}
				m := startRe.FindAllStringSubmatch(r.stdout, -1)
				if len(m) == 0 {
					t.Fatalf("crash point %d: killed before any model started", n)
				}
				last := m[len(m)-1]
				mu.Lock()
				landed[last[1]] = true
				mu.Unlock()
				t.Logf("crash point %d: killed in %s model %s", n, last[1], last[2])
				v.build(t)
				if d := diffSums(want, v.sums(t, "inserted_at")); len(d) > 0 {
					t.Fatalf("after a kill at statement %d (%s %s) and a re-run, models differ:\n%s", n, last[1], last[2], strings.Join(d, "\n"))
				}
			})
		}
	})
	if !ok {
		t.FailNow()
	}
	for _, kind := range []string{"staging", "scd2", "fact", "table"} {
		if !landed[kind] {
			t.Errorf("no kill landed in a %s model (landed: %v); adjust the points", kind, landed)
		}
	}
}

// assertNoSecret fails when any file under dir holds secret.
func assertNoSecret(t *testing.T, dir, secret string) {
	t.Helper()
	files := 0
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		if strings.Contains(string(data), secret) {
			return errors.New(p + " holds the S3 secret key")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("only %d files under %s; did the build write its artifacts?", files, dir)
	}
}

// TestServerBadInput feeds the new paths bad input. A byte order mark, an op that is not
// INSERT/UPDATE/DELETE and a null clickstream payload load with the bad rows quarantined, both
// from S3 and sent by dwm; an object changed after it was loaded, missing credentials and an
// endpoint that is down stop the run (exit 1) with a message saying what, and lose nothing.
func TestServerBadInput(t *testing.T) {
	t.Parallel()
	gen := generated(t, 1)
	bad := t.TempDir()
	if err := copyTree(gen, bad); err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(bad, "w001", "users.csv")
	editFile(t, users, func(s string) string {
		return "\ufeff" + strings.Replace(s, "\nINSERT,", "\nUPSERT,", 1) // the first data row
	})
	editFile(t, filepath.Join(bad, "w001", "event_stream.csv"), func(s string) string {
		lines := strings.SplitN(s, "\n", 3) // header, first event, rest
		f := strings.SplitN(lines[1], ",", 6)
		end := strings.Index(f[5], `}",`) // the payload is the sixth field, always quoted
		lines[1] = strings.Join(f[:5], ",") + ",null" + f[5][end+2:]
		return strings.Join(lines, "\n")
	})
	s3 := s3test.Start(t)
	s3.CreateBucket(t, "lake")
	for _, d := range []string{"w000", "w001"} {
		s3.PutTree(t, filepath.Join(bad, d), "lake", "cdc/"+d)
	}
	sv := startServe(t, t.TempDir(), "0", s3.Env())
	sent := variant{name: "sent by dwm", dir: copyProject(t), args: []string{"--target", "srv"}}
	addServerTarget(t, sent.dir, "srv", sv.port, "bad_sent", "")
	if err := copyTree(bad, filepath.Join(sent.dir, "data", "cdc")); err != nil {
		t.Fatal(err)
	}
	onS3 := variant{name: "S3", dir: copyProject(t), env: s3.Env(), args: []string{"--target", "srv", "--vars", "{cdc_dir: s3://lake/cdc}"}}
	addServerTarget(t, onS3.dir, "srv", sv.port, "bad_s3", "")
	models := []string{"run", "-s", "users_staging", "-s", "event_types_staging", "-s", "event_types", "-s", "event_stream"}
	show := func(v variant, db, sql string) string {
		return v.mustDwm(t, "show", "--inline", strings.ReplaceAll(sql, "DB", db), "--limit", "20").stdout
	}
	for _, c := range []struct {
		v  variant
		db string
	}{{sent, "bad_sent"}, {onS3, "bad_s3"}} {
		c.v.mustDwm(t, models...)
		if got := show(c.v, c.db, "select _row, reason from DB.users_staging__quarantine"); !strings.Contains(got, "| 1    | op: 'UPSERT' is not INSERT, UPDATE or DELETE |") {
			t.Errorf("%s: the bad op is not quarantined:\n%s", c.v.name, got)
		}
		if got := show(c.v, c.db, "select countIf(op = '') AS empty_ops, count() > 0 AS loaded from DB.users_staging"); !strings.Contains(got, "| 0         | 1      |") {
			t.Errorf("%s: the BOM emptied the first column:\n%s", c.v.name, got)
		}
		if got := show(c.v, c.db, "select _row, payload, reason from DB.event_stream__quarantine where _row = 1"); !strings.Contains(got, "| 1    | null    | payload is not a valid JSON object |") {
			t.Errorf("%s: the null payload is not quarantined:\n%s", c.v.name, got)
		}
	}

	// An object rewritten after it was loaded stops the run, naming it; restored, all is well.
	orig, err := os.ReadFile(users)
	if err != nil {
		t.Fatal(err)
	}
	s3.Put(t, "lake", "cdc/w001/users.csv", append([]byte("op"), orig[5:]...)) // one byte less
	r := onS3.dwm(t, models...)
	if out := r.stdout + r.stderr; r.code != 1 || !strings.Contains(out, "s3://lake/cdc/w001/users.csv") || !strings.Contains(out, "changed after it was loaded") {
		t.Errorf("changed object: exit %d\n%s", r.code, tail(out, 20))
	}
	s3.Put(t, "lake", "cdc/w001/users.csv", orig)
	onS3.mustDwm(t, models...)

	// Missing credentials name the variable.
	noKey := onS3
	noKey.env = append(append([]string{}, s3.Env()...), "AWS_ACCESS_KEY_ID=")
	r = noKey.dwm(t, models...)
	if out := r.stdout + r.stderr; r.code != 1 || !strings.Contains(out, "AWS_ACCESS_KEY_ID") {
		t.Errorf("missing access key: exit %d\n%s", r.code, tail(out, 20))
	}
	// Nothing was lost: the models hold what the first run loaded, and a run now has nothing new.
	if got := onS3.mustDwm(t, models...).stdout; strings.Count(got, "no new files") != 3 {
		t.Errorf("after the refused runs, a run found new files:\n%s", tail(got, 20))
	}
	r = onS3.mustDwm(t, "debug")
	if strings.Contains(r.stdout, s3.SecretKey) || strings.Contains(r.stdout, s3.AccessKey) {
		t.Errorf("dwm debug shows a key:\n%s", r.stdout)
	}
	assertNoSecret(t, onS3.dir, s3.SecretKey)

	// The object store goes down: the server's listing fails, and the message names the store.
	s3.Stop()
	r = onS3.dwm(t, models...)
	if out := r.stdout + r.stderr; r.code != 1 || !strings.Contains(out, "at "+s3.Endpoint) || !strings.Contains(out, "Connection refused") {
		t.Errorf("endpoint down: exit %d\n%s", r.code, tail(out, 20))
	}
}

func editFile(t *testing.T, path string, edit func(string) string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(edit(string(data))), 0o644); err != nil {
		t.Fatal(err)
	}
}
