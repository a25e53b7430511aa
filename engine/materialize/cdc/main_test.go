package cdc

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/objstore"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// shared is the package's one embedded warehouse (libchdb allows one data directory per process).
var shared chdbtest.Shared

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(shared.Run(m, chdb.Options{}))
}

// testDB returns the shared warehouse and a fresh database for the test.
func testDB(tb testing.TB) (*chdb.Warehouse, string) {
	tb.Helper()
	return shared.Database(tb, "c_")
}

func exec(tb testing.TB, wh warehouse.Warehouse, sql string) {
	tb.Helper()
	chdbtest.Exec(tb, wh, sql)
}

func rows(tb testing.TB, wh warehouse.Warehouse, sql string) string {
	tb.Helper()
	return chdbtest.Rows(tb, wh, sql, "|")
}

// project is a tiny project: a directory of files and the nodes ref can find.
type project struct {
	dir   string
	db    string
	nodes map[string]*manifest.Node
	runs  int
	store *objstore.Store // object storage for s3:// files, when the test has one
	// now, when set, is the clock file stamps are taken with (PrepareEnv.Now); cache is
	// PrepareEnv.Cache.
	now   func() time.Time
	cache string
	// erasures are passed to every build, as the session passes the data subjects' logs.
	erasures []materialize.Erasure
}

func newProject(t testing.TB, db string) *project {
	return &project{dir: t.TempDir(), db: db, nodes: map[string]*manifest.Node{}}
}

func (p *project) write(t testing.TB, rel, content string) {
	t.Helper()
	path := filepath.Join(p.dir, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (p *project) model(name, materialized string, cfg map[string]any, cols ...manifest.Column) *manifest.Node {
	n := &manifest.Node{UniqueID: "model.p." + name, Name: name, ResourceType: manifest.Model, Database: p.db, Alias: name,
		Config: manifest.Config{Enabled: true, Materialized: materialized, Raw: cfg}, Columns: cols}
	if k, ok := cfg["unique_key"].([]string); ok {
		n.Config.UniqueKey = k
	}
	p.nodes[name] = n
	return n
}

func (p *project) env() materialize.PrepareEnv {
	env := materialize.PrepareEnv{Dir: p.dir, Vars: map[string]any{"root": p.dir}, Ref: func(name string) *manifest.Node { return p.nodes[name] }}
	if p.store != nil {
		env.ObjectStore = func() (*objstore.Store, error) { return p.store, nil }
	}
	env.Now, env.Cache = p.now, p.cache
	return env
}

// plan runs Inspect, Prepare and Plan as the session does.
func (p *project) plan(t testing.TB, wh warehouse.Warehouse, n *manifest.Node, sql string, full bool) (materialize.Input, []materialize.Step, error) {
	t.Helper()
	ctx := context.Background()
	reg := materialize.Default()
	if err := Register(reg); err != nil {
		t.Fatal(err)
	}
	state, err := materialize.Inspect(ctx, wh, n.Database, n.Alias)
	if err != nil {
		t.Fatal(err)
	}
	p.runs++
	in := materialize.Input{Node: n, SQL: sql, State: state, FullRefresh: full, Caps: wh.Capabilities(),
		Suffix: "run" + string(rune('a'+p.runs%26)), Erasures: p.erasures}
	if err := reg.Prepare(ctx, wh, &in, p.env()); err != nil {
		return in, nil, err
	}
	steps, err := reg.Plan(in)
	return in, steps, err
}

// run builds n and returns the materialization's report.
func (p *project) run(t testing.TB, wh warehouse.Warehouse, n *manifest.Node, sql string, full bool) (string, error) {
	t.Helper()
	in, steps, err := p.plan(t, wh, n, sql, full)
	if err != nil {
		return "", err
	}
	if _, err := materialize.Execute(context.Background(), wh, steps, nil); err != nil {
		return "", err
	}
	reg := materialize.Default()
	_ = Register(reg)
	msg, _, err := reg.Report(context.Background(), wh, in)
	return msg, err
}

func (p *project) mustRun(t testing.TB, wh warehouse.Warehouse, n *manifest.Node, sql string, full bool) string {
	t.Helper()
	msg, err := p.run(t, wh, n, sql, full)
	if err != nil {
		t.Fatalf("run %s: %v", n.Name, err)
	}
	return msg
}

func executeSteps(wh warehouse.Warehouse, steps []materialize.Step) (warehouse.Stats, error) {
	return materialize.Execute(context.Background(), wh, steps, nil)
}

// remote is the shared warehouse as a server target that cannot read this machine's files, so
// loads take the streaming path on the real engine.
type remote struct{ *chdb.Warehouse }

func (r remote) Capabilities() warehouse.Capabilities {
	c := r.Warehouse.Capabilities()
	c.Kind, c.ReadsLocalFiles = "remote", false
	return c
}
