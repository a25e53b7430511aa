package project

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dwmhq/dwm/internal/osfs"
)

// listingOpts stamps with a clock an hour ahead, so the files a test just wrote are past the
// racy window (osfs.RacyWindow) without waiting for it.
func listingOpts() Options {
	later := time.Now().Add(time.Hour)
	return Options{Getenv: func(string) (string, bool) { return "", false }, Now: func() time.Time { return later }}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// listing loads dir through the cache and reports whether it came from the cache (a parse keeps
// the templates, a cached listing has none). It waits for the cache to be written.
func listing(t *testing.T, dir string, opts Options) (*Project, bool) {
	t.Helper()
	p, wait, err := LoadListing(dir, opts, true)
	if err != nil {
		t.Fatal(err)
	}
	wait()
	return p, p.Templates == nil
}

// sameAsParse fails unless p's manifest is deeply equal to a fresh parse of dir.
func sameAsParse(t *testing.T, dir string, opts Options, p *Project) {
	t.Helper()
	want, err := Load(osfs.DirFS(dir), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Manifest.Nodes) != len(want.Manifest.Nodes) {
		t.Fatalf("%d nodes listed, a parse has %d", len(p.Manifest.Nodes), len(want.Manifest.Nodes))
	}
	for id, n := range want.Manifest.Nodes {
		if !reflect.DeepEqual(p.Manifest.Nodes[id], n) {
			t.Fatalf("node %s differs from a parse:\n got %#v\nwant %#v", id, p.Manifest.Nodes[id], n)
		}
	}
	if !reflect.DeepEqual(p.Manifest.Macros, want.Manifest.Macros) || !reflect.DeepEqual(p.Manifest.MacroChecksums, want.Manifest.MacroChecksums) ||
		p.Manifest.Project != want.Manifest.Project || !reflect.DeepEqual(p.Vars, want.Vars) || p.TargetName != want.TargetName {
		t.Fatal("macros, vars, project or target name differ from a parse")
	}
	if !reflect.DeepEqual(p.Manifest.SortedIDs(), want.Manifest.SortedIDs()) {
		t.Fatal("sorted IDs differ from a parse")
	}
}

// rewrite replaces a file's contents with data of the same size, then sets its modification
// time back: only the change time (and the contents) tell. A kernel clock tick can be longer
// than the test took since the last write, so it writes until the change time moved (the racy
// window covers that case outside tests).
func rewrite(t *testing.T, path, data string) {
	t.Helper()
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	old := osfs.Stamp(before, later)
	for i := 0; ; i++ {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, before.ModTime(), before.ModTime()); err != nil {
			t.Fatal(err)
		}
		after, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if osfs.Stamp(after, later) != old {
			return
		}
		if i > 1e6 {
			t.Fatal("the change time never moved")
		}
	}
}

// Every kind of change to what a listing depends on is seen: the next listing parses and
// lists the change, and the one after it comes from the cache again.
func TestListingCacheSeesChanges(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"project.yml":          "name: shop\ntargets:\n  dev: {type: chdb, database: '{{ env_var \"SHOP_DB\" \"shop\" }}'}\n  prod: {type: chdb, database: shop_prod}\n",
		"models/a.sql":         `select 1 as id`,
		"models/sub/b.sql":     `select * from {{ ref "a" }}`,
		"models/props.yml":     "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        tests: [unique]\n",
		"macros/m.sql":         `{{ define "m" }}1{{ end }}`,
		"seeds/raw_orders.csv": "id\n1\n",
	})
	opts := listingOpts()
	opts.ConfigKeys = []string{"unique_key", "strategy", "check_cols"}
	env := map[string]string{}
	opts.Getenv = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	listing(t, dir, opts)
	p0, cached := listing(t, dir, opts)
	if !cached {
		t.Fatal("an unchanged project was parsed again")
	}
	macroSum := p0.Manifest.MacroChecksums["m"]
	steps := []struct {
		name   string
		change func(o *Options)
		check  func(p *Project) bool
	}{
		{"a model rewritten with the same size and modification time", func(*Options) {
			rewrite(t, filepath.Join(dir, "models/a.sql"), `select 2 as id`)
		}, func(p *Project) bool { return strings.Contains(p.Manifest.Nodes["model.shop.a"].RawCode, "2") }},
		{"a model added", func(*Options) { writeFiles(t, dir, map[string]string{"models/c.sql": `select 3`}) },
			func(p *Project) bool { return p.Manifest.Nodes["model.shop.c"] != nil }},
		{"a model added in an existing subfolder", func(*Options) { writeFiles(t, dir, map[string]string{"models/sub/e.sql": `select 5`}) },
			func(p *Project) bool { return p.Manifest.Nodes["model.shop.e"] != nil }},
		{"a model added in a new folder", func(*Options) { writeFiles(t, dir, map[string]string{"models/new/d.sql": `select 4`}) },
			func(p *Project) bool { return p.Manifest.Nodes["model.shop.d"] != nil }},
		{"a model removed", func(*Options) {
			if err := os.Remove(filepath.Join(dir, "models/c.sql")); err != nil {
				t.Fatal(err)
			}
		}, func(p *Project) bool { return p.Manifest.Nodes["model.shop.c"] == nil }},
		{"a test added in YAML", func(*Options) {
			rewrite(t, filepath.Join(dir, "models/props.yml"), "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        tests: [not_null]\n")
		}, func(p *Project) bool { return p.Manifest.Nodes["test.shop.not_null_a_id"] != nil }},
		{"a seed added", func(*Options) { writeFiles(t, dir, map[string]string{"seeds/raw_items.csv": "id\n1\n"}) },
			func(p *Project) bool { return p.Manifest.Nodes["seed.shop.raw_items"] != nil }},
		{"a folder that did not exist created (snapshots)", func(*Options) {
			writeFiles(t, dir, map[string]string{"snapshots/s.sql": `{{ config "unique_key" "id" "strategy" "check" "check_cols" "all" }}select 1 as id`})
		}, func(p *Project) bool { return p.Manifest.Nodes["snapshot.shop.s"] != nil }},
		{"a macro changed", func(*Options) {
			rewrite(t, filepath.Join(dir, "macros/m.sql"), `{{ define "m" }}2{{ end }}`)
		}, func(p *Project) bool { return p.Manifest.MacroChecksums["m"] != macroSum }},
		{"project.yml changed", func(*Options) {
			rewrite(t, filepath.Join(dir, "project.yml"), "name: shop\ntargets:\n  dev: {type: chdb, database: '{{ env_var \"SHOP_DB\" \"shoq\" }}'}\n  prod: {type: chdb, database: shop_prod}\n")
		}, func(p *Project) bool { return p.Manifest.Nodes["model.shop.a"].Database == "shoq" }},
		{"the environment variable naming the target's database set", func(*Options) { env["SHOP_DB"] = "shop2" },
			func(p *Project) bool { return p.Manifest.Nodes["model.shop.a"].Database == "shop2" }},
		{"another target", func(o *Options) { o.Target = "prod" },
			func(p *Project) bool { return p.Manifest.Nodes["model.shop.a"].Database == "shop_prod" }},
		{"other --vars", func(o *Options) { o.Vars = map[string]any{"x": 1} },
			func(p *Project) bool { return p.Vars["x"] == 1 }},
	}
	for _, s := range steps {
		before := opts
		s.change(&opts)
		p, cached := listing(t, dir, opts)
		if cached {
			t.Fatalf("%s: the next listing came from the cache", s.name)
		}
		if !s.check(p) {
			t.Fatalf("%s: not in the listing", s.name)
		}
		p, cached = listing(t, dir, opts)
		if !cached {
			t.Fatalf("%s: the listing after it was parsed again", s.name)
		}
		if !s.check(p) {
			t.Fatalf("%s: not in the cached listing", s.name)
		}
		sameAsParse(t, dir, opts, p)
		if before.Target != opts.Target || !reflect.DeepEqual(before.Vars, opts.Vars) {
			// Back to the options of an earlier listing: the cache holds one key, so this parses.
			if _, cached := listing(t, dir, before); cached {
				t.Fatalf("%s: the earlier options were served the other options' cache", s.name)
			}
			listing(t, dir, opts)
		}
	}
}

// Files written less than the racy window before the listing cannot be vouched for: no cache is
// written, so a change in the same clock tick cannot be missed.
func TestListingCacheSkipsRacyFiles(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"project.yml": "name: shop\n", "models/a.sql": `select 1`})
	opts := listingOpts()
	opts.Now = time.Now // the files are milliseconds old
	listing(t, dir, opts)
	if _, err := os.Stat(filepath.Join(dir, "target", filepath.FromSlash(ListingCacheFile))); !os.IsNotExist(err) {
		t.Fatalf("a listing of files written just now left a cache (stat: %v)", err)
	}
	if _, cached := listing(t, dir, opts); cached {
		t.Fatal("a listing of files written just now came from a cache")
	}
}

// A cache file that was torn or damaged is not used: the listing parses, and rewrites it.
func TestListingCacheIgnoresDamage(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"project.yml": "name: shop\n", "models/a.sql": `select 1`, "models/b.sql": `select * from {{ ref "a" }}`})
	opts := listingOpts()
	listing(t, dir, opts)
	path := filepath.Join(dir, "target", filepath.FromSlash(ListingCacheFile))
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{good[:len(good)/2], append(append([]byte{}, good[:len(good)-3]...), good[len(good)-3]^0x55, good[len(good)-2], good[len(good)-1]), {}} {
		if err := os.WriteFile(path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		p, cached := listing(t, dir, opts)
		if cached {
			t.Fatalf("a damaged cache (%d of %d bytes) was used", len(bad), len(good))
		}
		sameAsParse(t, dir, opts, p)
		if _, cached := listing(t, dir, opts); !cached {
			t.Fatal("the cache was not rewritten after a damaged one")
		}
	}
}
