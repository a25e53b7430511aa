package session

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/project"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

// writeProject writes files into a new project directory.
func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, text := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// openSession opens a project on its real default target (embedded ClickHouse under the
// project) and closes it when the test ends.
func openSession(t *testing.T, files map[string]string, env map[string]string) *Session {
	t.Helper()
	if os.Getenv(chdbtest.SkipEnv) == "1" {
		t.Skip(chdbtest.SkipEnv + "=1: skipping tests on the real embedded ClickHouse")
	}
	s, err := Open(Options{ProjectDir: writeProject(t, files), Threads: 2,
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// run builds the selected models and seeds (all when none given) and returns results by name.
func run(t *testing.T, s *Session, selects ...string) map[string]runner.Result {
	t.Helper()
	ids, _, err := s.Select(selects, nil, []manifest.ResourceType{manifest.Model, manifest.Seed}, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(context.Background(), ids, RunOptions{})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	out := map[string]runner.Result{}
	for _, r := range res {
		out[s.Node(r.UniqueID).Name] = r
	}
	return out
}

func query(t *testing.T, s *Session, sql string) string {
	t.Helper()
	wh, err := s.Warehouse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return chdbtest.Rows(t, wh, sql, ",")
}

// fakeWarehouse counts Close calls; the warehouse tests below never need a statement.
type fakeWarehouse struct {
	warehouse.Warehouse
	closed atomic.Int32
}

func (f *fakeWarehouse) Close() error { f.closed.Add(1); return nil }

// TestOpenLoadsWithoutTouchingTheWarehouse: Open loads and validates the project only; the
// warehouse opens on first use, once however many goroutines ask, and Close closes it.
func TestOpenLoadsWithoutTouchingTheWarehouse(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":  "name: shop\n",
		"models/a.sql": "select 1 as x\n",
		"models/b.sql": "select * from {{ ref \"a\" }}\n",
	})
	var opened atomic.Int32
	fake := &fakeWarehouse{}
	var gotDir string
	var gotConns int
	s, err := Open(Options{ProjectDir: dir, Threads: 3, OpenWarehouse: func(_ context.Context, tg project.Target, d string, conns int) (warehouse.Warehouse, error) {
		opened.Add(1)
		gotDir, gotConns = d, conns
		if tg.Type != "chdb" || tg.Path != ".dwm/dev" || tg.Database != "shop" {
			t.Errorf("default target = %+v", tg)
		}
		return fake, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if opened.Load() != 0 {
		t.Fatal("Open opened the warehouse")
	}
	if len(s.Project.Manifest.Nodes) != 2 || s.Dir != dir || len(s.Invocation) != 20 {
		t.Errorf("nodes %d, dir %s, invocation %q", len(s.Project.Manifest.Nodes), s.Dir, s.Invocation)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if wh, err := s.Warehouse(context.Background()); err != nil || wh != fake {
				t.Errorf("Warehouse = %v, %v", wh, err)
			}
		}()
	}
	wg.Wait()
	if opened.Load() != 1 || gotDir != dir || gotConns != 3 {
		t.Errorf("opened %d times, dir %q, conns %d; want once, %q, 3", opened.Load(), gotDir, gotConns, dir)
	}
	if err := s.Close(); err != nil || fake.closed.Load() != 1 {
		t.Errorf("Close = %v, closed %d times", err, fake.closed.Load())
	}

	// A failed open is reported to every caller and not retried; Close has nothing to close.
	s2, err := Open(Options{ProjectDir: dir, OpenWarehouse: func(context.Context, project.Target, string, int) (warehouse.Warehouse, error) {
		opened.Add(1)
		return nil, errors.New("no route to warehouse")
	}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s2.Warehouse(context.Background()); err == nil || err.Error() != "no route to warehouse" {
			t.Errorf("Warehouse after a failed open = %v", err)
		}
	}
	if opened.Load() != 2 {
		t.Errorf("a failed open was retried: %d opens", opened.Load())
	}
	if err := s2.Close(); err != nil {
		t.Errorf("Close of a session whose warehouse never opened = %v", err)
	}
	if s2.Invocation == s.Invocation {
		t.Errorf("two sessions share invocation %s", s.Invocation)
	}
}

func TestOpenErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		opts  Options
		want  string
	}{
		{"no project file", map[string]string{"models/a.sql": "select 1\n"}, Options{}, "project.yml"},
		{"unknown target", map[string]string{"project.yml": "name: p\n"}, Options{Target: "prod"}, `target "prod" is not defined`},
		{"cycle with the refs that close it", map[string]string{
			"project.yml":  "name: c\n",
			"models/a.sql": "select * from {{ ref \"b\" }}\n",
			"models/b.sql": "select 1 as x\n-- {{ ref \"a\" }}\n",
		}, Options{}, "models/b.sql:2:7: b refs a"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.ProjectDir = writeProject(t, c.files)
			_, err := Open(c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Open = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestRunBuildsInOrderAndReportsFailures runs models on the real default target: the data
// directory is the target's relative path under the project; a failing model names itself and
// its compiled SQL, with secret values masked, and its children are skipped.
func TestRunBuildsInOrderAndReportsFailures(t *testing.T) {
	s := openSession(t, map[string]string{
		"project.yml":       "name: shop\n",
		"seeds/prices.csv":  "id,price\n1,2.5\n2,4\n",
		"models/orders.sql": "{{ config \"materialized\" \"table\" \"order_by\" \"id\" }}\nselect toInt64(number + 1) as id, number * 10 as amount from numbers(3)\n",
		"models/priced.sql": "select o.id, o.amount * p.price as total from {{ ref \"orders\" }} o join {{ ref \"prices\" }} p using id\n",
		"models/broken.sql": "{{ config \"materialized\" \"table\" }}\nselect no_such_column from {{ ref \"orders\" }}\n",
		"models/leaky.sql":  "{{ config \"materialized\" \"table\" }}\nselect other_column, '{{ env_var \"DWM_ENV_SECRET_TOKEN\" }}' as t from {{ ref \"orders\" }}\n",
		"models/after.sql":  "select * from {{ ref \"broken\" }}\n",
	}, map[string]string{"DWM_ENV_SECRET_TOKEN": "tok-3141592"})
	got := run(t, s)
	want := map[string]runner.Status{"prices": runner.Success, "orders": runner.Success, "priced": runner.Success,
		"broken": runner.Error, "leaky": runner.Error, "after": runner.Skipped}
	for name, st := range want {
		if got[name].Status != st {
			t.Errorf("%s: %s (%s), want %s", name, got[name].Status, got[name].Message, st)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Dir, ".dwm", "dev")); err != nil {
		t.Errorf("the default target's data directory is not under the project: %v", err)
	}
	if v := query(t, s, "SELECT id, total FROM shop.priced ORDER BY id"); v != "1,0\n2,40" {
		t.Errorf("priced = %q", v)
	}
	b := got["broken"]
	var ne *NodeError
	if !errors.As(b.Err, &ne) || ne.Node != "broken" || ne.CompiledPath != "target/compiled/shop/models/broken.sql" {
		t.Fatalf("broken: err %#v", b.Err)
	}
	if QueryErr(b.Err) == nil || !strings.Contains(b.Err.Error(), "no_such_column") {
		t.Errorf("broken: ClickHouse's error is not kept: %v", b.Err)
	}
	// ClickHouse quotes the failing SQL: the secret in it is masked, in the error and the message.
	l := got["leaky"]
	for _, text := range []string{l.Err.Error(), l.Message} {
		if strings.Contains(text, "tok-3141592") || !strings.Contains(text, "'*****'") || !strings.Contains(text, "other_column") ||
			!strings.HasPrefix(text, "leaky: ") || !strings.Contains(text, "compiled SQL: target/compiled/shop/models/leaky.sql") {
			t.Errorf("leaky: %s", text)
		}
	}
	if got["after"].Message != "skipped because model.shop.broken failed" {
		t.Errorf("after: %q", got["after"].Message)
	}
	compiled, err := os.ReadFile(filepath.Join(s.Dir, "target", "compiled", "shop", "models", "leaky.sql"))
	if err != nil || strings.Contains(string(compiled), "tok-3141592") || !strings.Contains(string(compiled), "*****") {
		t.Errorf("compiled SQL (%v):\n%s", err, compiled)
	}
}

// TestSeedErrorsStopBeforeAnythingIsWritten: a malformed seed fails the run with file:line
// before any node runs.
func TestSeedErrorsStopBeforeAnythingIsWritten(t *testing.T) {
	s := openSession(t, map[string]string{
		"project.yml":     "name: seeds\n",
		"seeds/good.csv":  "id,name\n1,a\n",
		"seeds/bad.csv":   "id,name\n1,a\n2,b,extra\n",
		"models/m.sql":    "{{ config \"materialized\" \"table\" }}\nselect 1 as x\n",
		"models/g_of.sql": "select * from {{ ref \"good\" }}\n",
	}, nil)
	ids, _, err := s.Select(nil, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Run(context.Background(), ids, RunOptions{})
	if err == nil || !strings.Contains(err.Error(), "seeds/bad.csv:3") {
		t.Fatalf("Run = %v, want an error naming seeds/bad.csv:3", err)
	}
	if v := query(t, s, "SELECT count() FROM system.tables WHERE database = 'seeds'"); v != "0" {
		t.Errorf("something was written before the seed error: %s tables", v)
	}
	got := run(t, s, "good", "g_of", "m")
	for _, n := range []string{"good", "g_of", "m"} {
		if got[n].Status != runner.Success {
			t.Errorf("%s: %s %s", n, got[n].Status, got[n].Message)
		}
	}
	if v := query(t, s, "SELECT id, name FROM seeds.g_of"); v != "1,a" {
		t.Errorf("g_of = %q", v)
	}
}

// TestCompileNodesWritesAndReportsTheFirstError: compiled SQL lands in target/compiled; of
// several failing nodes, the first in the given order is reported, so messages are stable.
func TestCompileNodesWritesAndReportsTheFirstError(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"project.yml":  "name: c\n",
		"models/a.sql": "select 1 as x\n",
		"models/b.sql": "select * from {{ ref \"a\" }} where x = {{ var \"x\" }}\n",
		"models/y.sql": "select {{ fail \"y is broken\" }}\n",
		"models/z.sql": "select {{ fail \"z is broken\" }}\n",
	})
	s, err := Open(Options{ProjectDir: dir, Vars: map[string]any{"x": 7}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.CompileNodes([]string{"model.c.a", "model.c.b"}, true)
	if err != nil || n != 2 {
		t.Fatalf("CompileNodes = %d, %v", n, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "target", "compiled", "c", "models", "b.sql"))
	if err != nil || !strings.Contains(string(b), "`c`.`a` where x = 7") {
		t.Errorf("compiled b (%v): %s", err, b)
	}
	for _, order := range [][]string{{"model.c.z", "model.c.y"}, {"model.c.y", "model.c.z"}} {
		_, err := s.CompileNodes(order, false)
		want := strings.TrimPrefix(order[0], "model.c.") + " is broken"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CompileNodes(%v) = %v, want %q", order, err, want)
		}
	}
}

// TestOwnedChecksumsListWhatTheModelsOwn: beside a model's relation, its side tables
// (`<model>__*`), its leftover temporaries and the ledger, and nothing of other models.
func TestOwnedChecksumsListWhatTheModelsOwn(t *testing.T) {
	s := openSession(t, map[string]string{
		"project.yml":       "name: own\n",
		"models/m.sql":      "{{ config \"materialized\" \"table\" }}\nselect 1 as x\n",
		"models/m_.sql":     "{{ config \"materialized\" \"table\" }}\nselect 2 as x\n",
		"models/m__v.sql":   "select 3 as x\n",
		"models/other.sql":  "select 4 as x\n",
		"models/ephem.sql":  "{{ config \"materialized\" \"ephemeral\" }}\nselect 5 as x\n",
		"models/uses_e.sql": "select * from {{ ref \"ephem\" }}\n",
	}, nil)
	run(t, s)
	wh, err := s.Warehouse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range []string{"m__quarantine", "m___side", "__dwm_tmp_m_r1", "__dwm_tmp_m__r2", "__dwm_tmp_m_staging_r3", "dwm_ledger", "unrelated"} {
		chdbtest.Exec(t, wh, "CREATE TABLE own.`"+tbl+"` (x UInt8) ENGINE = MergeTree ORDER BY x")
	}
	chdbtest.Exec(t, wh, "INSERT INTO own.m__quarantine VALUES (9)")
	names := func(ids ...string) string {
		sums, err := s.OwnedChecksums(context.Background(), ids, nil)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range sums {
			out = append(out, c.Name+"="+c.Rows)
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	if got, want := names("model.own.m"), "own.__dwm_tmp_m_r1=0 own.dwm_ledger=0 own.m__quarantine=1"; got != want {
		t.Errorf("owned by m: %s\nwant %s", got, want)
	}
	if got, want := names("model.own.m_"), "own.__dwm_tmp_m__r2=0 own.dwm_ledger=0 own.m___side=0"; got != want {
		t.Errorf("owned by m_: %s\nwant %s", got, want)
	}
	if got := names("model.own.other", "model.own.ephem"); got != "own.dwm_ledger=0" {
		t.Errorf("owned by other and an ephemeral model: %s", got)
	}
	sums, err := s.Checksums(context.Background(), []string{"model.own.m", "model.own.ephem", "model.own.m__v"}, nil)
	if err != nil || len(sums) != 2 || sums[0].Name != "m" || sums[0].Rows != "1" || sums[1].Name != "m__v" {
		t.Errorf("Checksums = %+v, %v", sums, err)
	}
}

// TestOpenTargetErrors: a target that cannot open says why, and never prints its password.
func TestOpenTargetErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := OpenTarget(ctx, project.Target{Type: "postgres"}, t.TempDir(), 1); err == nil || !strings.Contains(err.Error(), `unknown target type "postgres"`) {
		t.Errorf("unknown type: %v", err)
	}
	// libchdb runs one data directory per process: a second one is refused with the reason.
	first := openChdb(t, t.TempDir())
	second := t.TempDir()
	_, err := OpenTarget(ctx, project.Target{Type: "chdb", Path: "data"}, second, 1)
	if err == nil || !strings.Contains(err.Error(), "one data directory per process") || !strings.Contains(err.Error(), filepath.Join(second, "data")) {
		t.Errorf("a second chdb directory: %v", err)
	}
	first.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there any more
	const secret = "Pw-never-printed-271828"
	for _, proto := range []string{"http", "native"} {
		_, err := OpenTarget(ctx, project.Target{Type: "clickhouse", Protocol: proto, Host: "127.0.0.1", Port: port, User: "u", Password: secret}, t.TempDir(), 1)
		if err == nil || !strings.Contains(err.Error(), "refused") || strings.Contains(err.Error(), secret) {
			t.Errorf("%s to a closed port: %v", proto, err)
		}
	}
}

// TestEmbeddedTargetCompilesNoExpressions: sessions on the embedded engine run with
// compile_expressions off (a build pays LLVM compiles it barely uses; target.go says why and
// docs/benchmarks-warehouse.md measures it), and a target's settings turn it back on.
func TestEmbeddedTargetCompilesNoExpressions(t *testing.T) {
	for _, tc := range []struct{ name, yml, want string }{
		{"default", "name: shop\n", "false"},
		{"target setting", "name: shop\ntarget: dev\ntargets:\n  dev: {type: chdb, path: .dwm/dev, settings: {compile_expressions: \"1\"}}\n", "true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openSession(t, map[string]string{"project.yml": tc.yml}, nil)
			if got := query(t, s, "SELECT getSetting('compile_expressions')"); got != tc.want {
				t.Errorf("compile_expressions = %q, want %q", got, tc.want)
			}
		})
	}
}
