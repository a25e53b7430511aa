package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The crash sweep is too slow for CI (a killed run and a re-run per statement); it runs only when
// asked: go test ./e2e -run TestCrashSweep -timeout 0 -parallel 2 -sweep build (or -sweep
// full-refresh); docs/materializations.md has its latest result.
var (
	sweepFlag = flag.String("sweep", "", "TestCrashSweep: kill the `build` or the `full-refresh` scenario before every statement")
	sweepFrom = flag.Int("sweep-from", 1, "TestCrashSweep: first statement to kill before")
	sweepTo   = flag.Int("sweep-to", 0, "TestCrashSweep: last statement to kill before (0: the last one)")
	sweepStep = flag.Int("sweep-step", 1, "TestCrashSweep: kill before every n-th statement")
)

// statement is one line of a DWM_STATEMENT_LOG: the index, the node it ran for, its SQL with the
// run's invocation id and the project directory masked, so logs of two runs compare.
type statement struct {
	index int
	node  string
	sql   string
}

func (s statement) String() string {
	sql := s.sql
	if len(sql) > 160 {
		sql = sql[:160] + "..."
	}
	return fmt.Sprintf("statement %d (%s): %s", s.index, s.node, sql)
}

// invocationID matches the per-run suffix of temporary tables (session.newInvocationID).
var invocationID = regexp.MustCompile(`\d{14}[0-9a-z]{6}`)

func readStatementLog(t *testing.T, path, projectDir string) []statement {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []statement
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "\t", 3)
		if len(parts) != 3 {
			t.Fatalf("%s: malformed line %q", path, sc.Text())
		}
		i, err := strconv.Atoi(parts[0])
		if err != nil || i != len(out)+1 {
			t.Fatalf("%s: line %d is numbered %q", path, len(out)+1, parts[0])
		}
		sql := invocationID.ReplaceAllString(strings.ReplaceAll(parts[2], projectDir, "<dir>"), "<inv>")
		out = append(out, statement{index: i, node: parts[1], sql: sql})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// crashScene is a warehouse state, a command to interrupt in it, and what the command gives
// when nothing interrupts it.
type crashScene struct {
	name string
	base string   // project with its warehouse before the command
	args []string // the command, e.g. build or build --full-refresh
	log  []statement
	want map[string]string // contents (see contents) after the uninterrupted command
	// wantExplained is explain() after it, to explain differences in staging tables and the ledger.
	wantExplained map[string]string
	ref           string // the project after the uninterrupted command
}

// newScene runs the command once on a copy of base (made in a directory from mkdir) with
// --threads 1 and a statement log.
func newScene(t *testing.T, mkdir func() string, name, base string, args ...string) *crashScene {
	t.Helper()
	ref := copyInto(t, base, mkdir())
	logPath := filepath.Join(t.TempDir(), "statements.log")
	r := dwm(t, ref, []string{"DWM_STATEMENT_LOG=" + logPath}, append(args, "--threads", "1")...)
	if r.code != 0 {
		t.Fatalf("%s: uninterrupted dwm %s: exit %d\n%s\n%s", name, strings.Join(args, " "), r.code, tail(r.stdout, 40), r.stderr)
	}
	return &crashScene{name: name, base: base, args: args, log: readStatementLog(t, logPath, ref), ref: ref,
		want: contents(t, ref), wantExplained: explain(t, ref)}
}

func copyOf(t *testing.T, dir string) string {
	t.Helper()
	return copyInto(t, dir, t.TempDir())
}

// copyInto copies a project with its warehouse into dst. The CDC files under data/ are
// hard-linked, not copied: dwm only reads them, a dozen cases share them, and a test that
// changes one replaces it (correctUsername) rather than writing into it.
func copyInto(t *testing.T, src, dst string) string {
	t.Helper()
	if err := copyTreeLinkingData(src, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// copyTreeLinkingData is copyTree with the files under data/ hard-linked.
func copyTreeLinkingData(src, dst string) error {
	data := filepath.Join(src, "data")
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case !d.Type().IsRegular():
			return nil
		case strings.HasPrefix(p, data+string(filepath.Separator)):
			return os.Link(p, target)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// kept makes a directory that outlives the test that asks for it, for fixtures several tests
// share; it lies in the folder of the dwm binary, which TestMain removes at the end.
func kept(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp(filepath.Dir(dwmBin), "fixture-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// shared holds the build scene, made once per test binary by the first test that needs it.
var shared struct {
	once  sync.Once
	build *crashScene
}

// buildScene: week 1 is built, then weeks 2 to 4 arrive together, so each staging and fact
// model loads three files and each scd2 model applies three batches in one run. The crash and
// fault tests share it (read-only: each case works on a copy).
func buildScene(t *testing.T) *crashScene {
	t.Helper()
	shared.once.Do(func() {
		base := copyInto(t, copyProject(t), kept(t))
		mustDwm(t, base, append([]string{"simulate", "--weeks", "1", "-q"}, small...)...)
		mustDwm(t, base, append([]string{"generate", "--weeks", "4", "-q", "--out", "data/cdc"}, small...)...)
		shared.build = newScene(t, func() string { return kept(t) }, "build", base, "build")
	})
	if shared.build == nil {
		t.Fatal("the shared build scene failed in an earlier test")
	}
	return shared.build
}

// fullRefreshScene: after the build scene, a CDC file already loaded is corrected (one user's
// username in week 2), and `build --full-refresh` reloads everything. A refresh interrupted
// after users_staging reloaded the file must not leave users' history on the old value.
func fullRefreshScene(t *testing.T, built *crashScene) *crashScene {
	t.Helper()
	base := copyOf(t, built.ref)
	correctUsername(t, filepath.Join(base, "data", "cdc", "w002", "users.csv"))
	sc := newScene(t, t.TempDir, "full-refresh", base, "build", "--full-refresh")
	if sc.want["users"] == built.want["users"] || sc.want["users_staging"] == built.want["users_staging"] {
		t.Fatalf("the corrected file changed nothing: users %s, users_staging %s", sc.want["users"], sc.want["users_staging"])
	}
	return sc
}

// correctUsername appends "x" to the username of the file's first data row: a valid change
// that no test of the project checks, so the corrected build passes all its tests.
func correctUsername(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(data), "\n", 3)
	header, row := strings.Split(lines[0], ","), strings.Split(lines[1], ",")
	if len(header) < 3 || header[2] != "username" || len(row) != len(header) || strings.Contains(lines[1], `"`) {
		t.Fatalf("%s: unexpected first lines %q / %q", path, lines[0], lines[1])
	}
	row[2] += "x"
	lines[1] = strings.Join(row, ",")
	// A new file, not a write into the old one: the scenes' copies share it as a hard link.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// contents fingerprints every relation dwm owns in the project's warehouse: each model's
// relation and, with --owned, the ledger (without loaded_at), the quarantines, the SCD2
// __versions and __current_parts tables, and any leftover temporary table (it would show as
// missing on one side). Each table is compared whole (all rows of all parts, whatever the
// partitions). Load-time columns (inserted_at, loaded_at) are left out. The staging tables'
// processed flags are part of their checksums.
func contents(t *testing.T, dir string, args ...string) map[string]string {
	t.Helper()
	r := mustDwm(t, dir, append([]string{"checksum", "--owned", "--ignore-columns", "inserted_at,loaded_at"}, args...)...)
	out := parseChecksums(r.stdout)
	if out["duolingo.dwm_ledger"] == "" || out["duolingo.users__versions"] == "" || len(out) < 40 {
		t.Fatalf("checksum --owned listed only %d relations:\n%s", len(out), r.stdout)
	}
	return out
}

// parseChecksums reads `dwm checksum` output as relation -> "rows hash".
func parseChecksums(stdout string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 3 {
			out[f[0]] = f[1] + " " + f[2]
		}
	}
	return out
}

// explain lists, per staging model, the _load_seq values that still have rows with processed =
// false, and per model and kind the ledger's seq (files) or batch numbers: what a difference in
// a staging table's or the ledger's checksum usually means, said plainly.
func explain(t *testing.T, dir string, args ...string) map[string]string {
	t.Helper()
	var parts []string
	staging, _ := filepath.Glob(filepath.Join(dir, "models", "staging", "*.sql"))
	for _, p := range staging {
		m := strings.TrimSuffix(filepath.Base(p), ".sql")
		parts = append(parts, fmt.Sprintf(`SELECT '%s unprocessed _load_seq' AS m, toString(arraySort(groupUniqArrayIf(_load_seq, NOT processed))) AS seqs FROM {{ ref "%s" }}`, m, m))
	}
	if len(parts) < 5 {
		t.Fatalf("found %d staging models in %s", len(parts), dir)
	}
	parts = append(parts, "SELECT model || ' ' || kind || ' ledger rows' AS m, toString(arraySort(groupArray(if(kind = 'file', seq, batch)))) AS seqs"+
		" FROM duolingo.dwm_ledger GROUP BY model, kind")
	r := mustDwm(t, dir, append([]string{"show", "--inline", strings.Join(parts, " UNION ALL "), "--output", "csv", "--limit", "-1"}, args...)...)
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		m, seqs, _ := strings.Cut(line, ",")
		out[strings.Trim(m, `"`)] = strings.Trim(seqs, `"`)
	}
	return out
}

// crashPoint names a statement of a scene's reference log: the nth statement of node (a unique
// id, or a prefix of one ending in "*") containing match. The kill comes right before it, or
// right after it.
type crashPoint struct {
	name  string
	node  string
	match string
	nth   int
	after bool
}

// ledgerInsert starts the statement that commits a file or a batch.
const ledgerInsert = "INSERT INTO `duolingo`.`dwm_ledger`"

// limit resolves the point to a DWM_CRASH_AFTER value and the statement it interrupts.
func (p crashPoint) limit(t *testing.T, log []statement) (int, statement) {
	t.Helper()
	seen := 0
	for i, s := range log {
		prefix, isPrefix := strings.CutSuffix(p.node, "*")
		if (s.node == p.node || isPrefix && strings.HasPrefix(s.node, prefix)) && strings.Contains(s.sql, p.match) {
			if seen++; seen == p.nth {
				if p.after {
					return i + 1, s
				}
				return i, s
			}
		}
	}
	t.Fatalf("crash point %q: the reference run has %d statements of %s containing %q, not %d; the build's statements changed, update the point",
		p.name, seen, p.node, p.match, p.nth)
	return 0, statement{}
}

// killAt runs the scene's command with --threads 1 killed after n statements, checks that the
// kill landed where the reference log says (the same n statements ran), runs the command again
// plainly (rerun), and returns how the contents differ from the uninterrupted command's.
func (sc *crashScene) killAt(t *testing.T, n int) []string {
	t.Helper()
	dir := copyOf(t, sc.base)
	logPath := filepath.Join(t.TempDir(), "statements.log")
	r := dwm(t, dir, []string{"DWM_CRASH_AFTER=" + strconv.Itoa(n), "DWM_STATEMENT_LOG=" + logPath}, append(sc.args, "--threads", "1")...)
	if !r.killed {
		t.Fatalf("%s: dwm %s with DWM_CRASH_AFTER=%d was not killed (exit %d):\n%s\n%s", sc.name, strings.Join(sc.args, " "), n, r.code, tail(r.stdout, 20), r.stderr)
	}
	ran := readStatementLog(t, logPath, dir)
	if len(ran) != n {
		t.Fatalf("%s: killed after %d statements, want %d", sc.name, len(ran), n)
	}
	for i, s := range ran {
		if s != sc.log[i] {
			t.Fatalf("%s: not replayable: the killed run's %v\ndiffers from the reference's %v", sc.name, s, sc.log[i])
		}
	}
	return sc.rerun(t, dir)
}

// rerun runs the scene's command plainly after an interruption (`dwm build` after a build or a
// full refresh, `dwm run` after a run) and compares the contents; args (such as --target) go to
// every dwm command.
func (sc *crashScene) rerun(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	r := dwm(t, dir, nil, append([]string{sc.args[0]}, args...)...)
	if r.code != 0 {
		return []string{fmt.Sprintf("the plain re-run failed (exit %d):\n%s\n%s", r.code, tail(r.stdout, 30), r.stderr)}
	}
	d := diffSums(sc.want, contents(t, dir, args...))
	if len(d) > 0 {
		d = append(d, diffSums(sc.wantExplained, explain(t, dir, args...))...)
	}
	sort.Strings(d)
	return d
}

// TestCrashRecovery kills builds at chosen statements (replayable: one thread, statements in a
// fixed order, checked against the uninterrupted run's statement log), and at random moments
// with real SIGKILLs; after each kill a plain `dwm build` (`dwm run` after a killed run) must
// give exactly the contents of an uninterrupted run, for every relation dwm owns (see contents).
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	build := buildScene(t)
	refresh := fullRefreshScene(t, build)
	// The kills inside models interrupt `dwm run` of the same pending files: the same statements
	// for every model, without the data tests a build runs between them (which a kill point of
	// their own, and the random kills, interrupt in builds), so each case costs a third less.
	run := newScene(t, t.TempDir, "run", build.base, "run")
	seed := crashSeed(t)
	cases := []struct {
		sc     *crashScene
		points []crashPoint
	}{
		{run, []crashPoint{
			{name: "staging: second file loaded, not committed", node: "model.duolingo.users_staging", match: ledgerInsert, nth: 2},
			{name: "scd2: two of three batches committed", node: "model.duolingo.ligue_instances", match: ledgerInsert, nth: 2, after: true},
			{name: "scd2: third batch written, not committed", node: "model.duolingo.users", match: ledgerInsert, nth: 3},
			{name: "scd2: marking processed, one of three partitions done", node: "model.duolingo.ligue_assignment", match: "REPLACE PARTITION", nth: 1, after: true},
			{name: "scd2: second batch's small partitions folded into its own, not listed", node: "model.duolingo.ligue_assignment", match: "fold`) AND", nth: 2, after: true},
			{name: "fact: second file's table partition swapped in, not committed", node: "model.duolingo.event_stream", match: "REPLACE PARTITION", nth: 3, after: true},
			{name: "fact: second file's rejected rows masked out of its temporary table, columns not dropped", node: "model.duolingo.event_stream", match: "DELETE FROM ", nth: 2, after: true},
			{name: "incremental: one of three partitions replaced", node: "model.duolingo.user_activity", match: "REPLACE PARTITION", nth: 1, after: true},
			{name: "incremental delete+insert: the days' rows deleted, not inserted again", node: "model.duolingo.mart_daily_activity", match: " DELETE WHERE ", nth: 1, after: true},
			{name: "incremental delete+insert, rolling windows: the days deleted, not inserted again", node: "model.duolingo.mart_active_users", match: " DELETE WHERE ", nth: 1, after: true},
			{name: "table: mart exchanged, old table not dropped", node: "model.duolingo.mart_weekly_league_summary", match: "EXCHANGE TABLES", nth: 1, after: true},
		}},
		{build, []crashPoint{
			{name: "test: first SCD2 test of users", node: "test.duolingo.scd2_no_overlaps_users_*", match: "", nth: 1},
		}},
		{refresh, []crashPoint{
			{name: "full refresh: staging reloaded, its scd2 not started", node: "model.duolingo.users", match: "", nth: 1},
			{name: "full refresh: scd2 replayed one of four batches", node: "model.duolingo.users", match: ledgerInsert, nth: 1, after: true},
		}},
	}
	t.Run("points", func(t *testing.T) {
		for _, c := range cases {
			for _, p := range c.points {
				n, s := p.limit(t, c.sc.log)
				where := "before"
				if p.after {
					where = "after"
				}
				t.Run(p.name, func(t *testing.T) {
					t.Parallel()
					if d := c.sc.killAt(t, n); len(d) > 0 {
						t.Errorf("%s scene, killed %s %v (replay: DWM_CRASH_AFTER=%d dwm %s --threads 1), then a plain %s: contents differ from an uninterrupted run:\n%s",
							c.sc.name, where, s, n, strings.Join(c.sc.args, " "), c.sc.args[0], strings.Join(d, "\n"))
					}
				})
			}
		}
		// A full refresh of unchanged files must give what the incremental runs gave (the
		// reference's contents), however it is interrupted.
		unchanged := *build
		unchanged.name, unchanged.base, unchanged.args = "full-refresh of unchanged files", build.ref, []string{"build", "--full-refresh"}
		for i, sc := range []*crashScene{build, &unchanged} {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			t.Run(fmt.Sprintf("random SIGKILL %d during %s", i+1, strings.Join(sc.args, " ")), func(t *testing.T) {
				t.Parallel()
				sc.randomKill(t, rng, seed)
			})
		}
	})
}

// crashSeed is the random kills' seed: DWM_CRASH_SEED to replay one, else a new one, logged.
func crashSeed(t *testing.T) uint64 {
	if v := os.Getenv("DWM_CRASH_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("DWM_CRASH_SEED=%q: %v", v, err)
		}
		return s
	}
	s := rand.Uint64()
	t.Logf("random kills use DWM_CRASH_SEED=%d", s)
	return s
}

// randomKill runs the scene's command with dwm's default threads and sends it a real SIGKILL
// from outside at a random moment: once it has started a random number of statements (drawn
// from the length of the reference run) and then a random 0-40 ms more, so the kill usually
// lands inside statements of several nodes at once. A plain build must then converge.
func (sc *crashScene) randomKill(t *testing.T, rng *rand.Rand, seed uint64) {
	t.Helper()
	dir := copyOf(t, sc.base)
	after := 1 + rng.IntN(len(sc.log))
	extra := time.Duration(rng.IntN(40)) * time.Millisecond
	run := startLogged(t, dir, nil, sc.args...)
	killed, err := run.reach(t, after, 10*time.Minute)
	if killed {
		time.Sleep(extra) // the kill moment, not a wait for a result
		_ = run.cmd.Process.Signal(syscall.SIGKILL)
		err = <-run.exited
	}
	what := fmt.Sprintf("DWM_CRASH_SEED=%d: dwm %s killed once %d statements had started, +%v", seed, strings.Join(sc.args, " "), after, extra)
	var ee *exec.ExitError
	switch {
	case killed && errors.As(err, &ee) && !ee.Exited():
		t.Logf("%s (%d statements started)", what, run.started.count())
	case killed && err == nil:
		t.Logf("%s: it finished first", what)
	case err != nil:
		t.Fatalf("%s: failed on its own: %v\n%s", what, err, tail(run.out.String(), 30))
	default:
		t.Logf("%s: it finished with %d statements", what, run.started.count())
	}
	if d := sc.rerun(t, dir); len(d) > 0 {
		t.Errorf("%s scene, %s, then a plain build: contents differ from an uninterrupted run:\n%s", sc.name, what, strings.Join(d, "\n"))
	}
}

// loggedRun is a dwm process started with a statement log, to act on it while it runs.
type loggedRun struct {
	cmd     *exec.Cmd
	out     *strings.Builder // stdout and stderr
	exited  chan error       // the result of Wait
	started *lineCounter     // statements started so far
}

// startLogged starts dwm with args in dir, a statement log and env; the test's cleanup kills it
// if it is still running.
func startLogged(t *testing.T, dir string, env []string, args ...string) *loggedRun {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "statements.log")
	r := &loggedRun{cmd: exec.Command(dwmBin, args...), out: &strings.Builder{}, exited: make(chan error, 1),
		started: &lineCounter{path: logPath}}
	r.cmd.Dir = dir
	r.cmd.Env = append(append(os.Environ(), "NO_COLOR=1", "DWM_STATEMENT_LOG="+logPath), env...)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := r.cmd.Wait()
		cpuUsed.charge(t, r.cmd.ProcessState, r.cmd.Args[1])
		r.exited <- err
	}()
	t.Cleanup(func() {
		_ = r.cmd.Process.Kill() // a no-op once it exited
		r.started.close()
	})
	return r
}

// reach polls until n statements have started (true), or returns false and the Wait error if the
// process exited first; it fails the test after limit.
func (r *loggedRun) reach(t *testing.T, n int, limit time.Duration) (bool, error) {
	t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(limit)
	for r.started.count() < n {
		select {
		case err := <-r.exited:
			return false, err
		case <-deadline:
			t.Fatalf("dwm %s: %d statements not reached after %v", strings.Join(r.cmd.Args[1:], " "), n, limit)
		case <-tick.C:
		}
	}
	return true, nil
}

// lineCounter counts the complete lines of a statement log a running dwm appends to, reading
// only what was added since the last call.
type lineCounter struct {
	path string
	f    *os.File
	n    int
	buf  []byte
}

func (c *lineCounter) count() int {
	if c.f == nil {
		f, err := os.Open(c.path)
		if err != nil {
			return 0 // not created yet
		}
		c.f, c.buf = f, make([]byte, 64<<10)
	}
	for {
		k, err := c.f.Read(c.buf)
		c.n += bytes.Count(c.buf[:k], []byte("\n"))
		if k == 0 || err != nil {
			return c.n
		}
	}
}

func (c *lineCounter) close() {
	if c.f != nil {
		c.f.Close()
	}
}

// TestCrashSweep kills a scene's command before every statement of its reference run (or every
// -sweep-step-th from -sweep-from to -sweep-to) and checks each as TestCrashRecovery does. It
// reports every failing statement, not only the first. Cases run in parallel (-parallel).
func TestCrashSweep(t *testing.T) {
	if *sweepFlag == "" {
		t.Skip("runs only when asked: go test ./e2e -run TestCrashSweep -timeout 0 -sweep build|full-refresh")
	}
	sc := buildScene(t)
	switch *sweepFlag {
	case "build":
	case "full-refresh":
		sc = fullRefreshScene(t, sc)
	default:
		t.Fatalf("-sweep %q: want build or full-refresh", *sweepFlag)
	}
	to := *sweepTo
	if to <= 0 || to > len(sc.log) {
		to = len(sc.log)
	}
	var mu sync.Mutex
	var failed []string
	swept := 0
	t.Run("statements", func(t *testing.T) {
		for i := max(*sweepFrom, 1); i <= to; i += max(*sweepStep, 1) {
			s := sc.log[i-1]
			swept++
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				if d := sc.killAt(t, i-1); len(d) > 0 {
					what := s.node
					if onlyStagingDiffers(d) {
						what += ", only staging tables differ"
					}
					mu.Lock()
					failed = append(failed, fmt.Sprintf("%d (%s)", i, what))
					mu.Unlock()
					t.Errorf("killed before %v, then a plain build: contents differ:\n%s", s, strings.Join(d, "\n"))
				}
			})
		}
	})
	sort.Slice(failed, func(a, b int) bool { return leadingInt(failed[a]) < leadingInt(failed[b]) })
	t.Logf("%s sweep: %d kill points (statements %d-%d of %d, step %d), %d failed: %s",
		sc.name, swept, max(*sweepFrom, 1), to, len(sc.log), max(*sweepStep, 1), len(failed), strings.Join(failed, ", "))
}

// onlyStagingDiffers reports whether every difference is in a staging table (their processed
// flags, in practice): the signature of the scd2 marking defect, told apart in the summary.
func onlyStagingDiffers(diffs []string) bool {
	for _, d := range diffs {
		name, _, _ := strings.Cut(d, ":")
		if !strings.HasSuffix(strings.TrimSuffix(name, " unprocessed _load_seq"), "_staging") {
			return false
		}
	}
	return true
}

func leadingInt(s string) int {
	n, _ := strconv.Atoi(strings.Fields(s)[0])
	return n
}
