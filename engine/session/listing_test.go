package session

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// copyWarehouse copies the leagues warehouse's project files (seeds empty: they are listed by
// name, never read) into a new folder.
func copyWarehouse(t *testing.T) string {
	t.Helper()
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, top := range []string{"project.yml", "models", "macros", "seeds", "tests", "snapshots"} {
		root := filepath.Join(repo, top)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if p == root && os.IsNotExist(err) {
				return nil
			}
			if err != nil || d.IsDir() {
				return err
			}
			var data []byte
			if !strings.HasSuffix(p, ".csv") {
				if data, err = os.ReadFile(p); err != nil {
					return err
				}
			}
			rel, _ := filepath.Rel(repo, p)
			files[filepath.ToSlash(rel)] = string(data)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 50 {
		t.Fatalf("copied only %d files of the warehouse", len(files))
	}
	return writeProject(t, files)
}

// The leagues warehouse (staging, SCD2, fact, incremental, table and view models, sources,
// generic and singular tests, docs) listed from its cache is the manifest a parse gives, node by
// node, and selects the same nodes.
func TestListingCacheOfTheWarehouse(t *testing.T) {
	dir := copyWarehouse(t)
	later := time.Now().Add(time.Hour) // past the racy window of the files just copied
	opts := Options{ProjectDir: dir, Getenv: func(string) (string, bool) { return "", false }, Now: func() time.Time { return later }}
	open := func() *Session {
		t.Helper()
		s, err := OpenListing(opts, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil { // waits for the cache to be written
			t.Fatal(err)
		}
		return s
	}
	if s := open(); s.Project.Templates == nil {
		t.Fatal("the first listing came from a cache")
	}
	cached := open()
	if cached.Project.Templates != nil {
		t.Fatal("an unchanged warehouse was parsed again")
	}
	full, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	want, got := full.Project.Manifest, cached.Project.Manifest
	if len(got.Nodes) != len(want.Nodes) || len(want.Nodes) < 100 {
		t.Fatalf("%d nodes listed, a parse has %d", len(got.Nodes), len(want.Nodes))
	}
	for id, n := range want.Nodes {
		if !reflect.DeepEqual(got.Nodes[id], n) {
			t.Fatalf("node %s differs from a parse:\n got %#v\nwant %#v", id, got.Nodes[id], n)
		}
	}
	if !reflect.DeepEqual(got.Macros, want.Macros) || !reflect.DeepEqual(got.MacroChecksums, want.MacroChecksums) {
		t.Fatal("macros differ from a parse")
	}
	for _, sel := range []string{"", "ligue_assignment+", "tag:staging+", "+mart_active_users", "config.materialized:scd2",
		"test_type:singular", "source:*+", "resource_type:test", "path:models/marts", "1+users+1"} {
		var sels []string
		if sel != "" {
			sels = []string{sel}
		}
		a, _, err := cached.Select(sels, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := full.Select(sels, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) || len(b) == 0 {
			t.Fatalf("--select %q: %d nodes from the cache, %d from a parse", sel, len(a), len(b))
		}
	}
}
