package dtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/project"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

// shared is the package's one embedded warehouse (libchdb allows one data directory per process);
// each project gets its own database (the project name).
var shared chdbtest.Shared

func TestMain(m *testing.M) {
	os.Exit(shared.Run(m, chdb.Options{Conns: 4}))
}

// borrowed keeps the shared warehouse open when a session closes.
type borrowed struct{ warehouse.Warehouse }

func (borrowed) Close() error { return nil }

// openProject writes files into a temporary project directory and opens a session on the shared
// warehouse. The project name is its database, so tests never see each other's tables.
func openProject(t *testing.T, name string, files map[string]string) *session.Session {
	t.Helper()
	return openProjectOn(t, name, files, borrowed{shared.Warehouse(t)})
}

// openProjectOn is openProject on wh, a wrapper of the shared warehouse.
func openProjectOn(t *testing.T, name string, files map[string]string, wh warehouse.Warehouse) *session.Session {
	t.Helper()
	dir := t.TempDir()
	files["project.yml"] = "name: " + name + "\n"
	for p, text := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := wh.Exec(context.Background(), "DROP DATABASE IF EXISTS "+manifest.QuoteIdent(name)+" SYNC"); err != nil {
		t.Fatal(err)
	}
	s, err := session.Open(session.Options{ProjectDir: dir, Threads: 2,
		OpenWarehouse: func(context.Context, project.Target, string, int) (warehouse.Warehouse, error) {
			return wh, nil
		}})
	if err != nil {
		t.Fatalf("open project: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// build runs everything selected (all nodes when selects is empty) as dwm build does and returns
// the results by node name.
func build(t *testing.T, s *session.Session, opts Options, selects ...string) map[string]runner.Result {
	t.Helper()
	ids, _, err := s.Select(selects, nil, []manifest.ResourceType{manifest.Seed, manifest.Model, manifest.Test, manifest.UnitTest}, "")
	if err != nil {
		t.Fatal(err)
	}
	results, err := s.Run(context.Background(), ids, New(s, opts).RunOptions(session.RunOptions{
		Reshape: BuildPlan(s.Project.Manifest, s.DAG)}))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]runner.Result{}
	for _, r := range results {
		out[s.Node(r.UniqueID).Name] = r
	}
	return out
}

// byPrefix finds the one result whose node name starts with prefix (generic test names end in a hash).
func byPrefix(t *testing.T, results map[string]runner.Result, prefix string) runner.Result {
	t.Helper()
	var found []string
	for name := range results {
		if strings.HasPrefix(name, prefix) {
			found = append(found, name)
		}
	}
	if len(found) != 1 {
		t.Fatalf("want one result named %s*, got %v", prefix, found)
	}
	return results[found[0]]
}
