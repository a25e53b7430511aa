package starter

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dwmhq/dwm/engine/project"
)

// The starter project loads without errors or warnings: three nodes to build, its tests and
// the unit test, and the embedded target by default.
func TestStarterLoads(t *testing.T) {
	fset, err := Files("shop")
	if err != nil {
		t.Fatal(err)
	}
	mfs := fstest.MapFS{}
	for p, b := range fset {
		mfs[p] = &fstest.MapFile{Data: b}
	}
	p, err := project.Load(mfs, project.Options{})
	if err != nil {
		t.Fatalf("starter project does not load: %v", err)
	}
	if p.File.Name != "shop" || p.TargetName != "dev" || p.Target.Type != "chdb" {
		t.Errorf("name %q, target %q type %q; want shop, dev, chdb", p.File.Name, p.TargetName, p.Target.Type)
	}
	if len(p.Warnings) > 0 {
		t.Errorf("warnings: %v", p.Warnings)
	}
	kinds := map[string]int{}
	for _, n := range p.Manifest.Nodes {
		kinds[string(n.ResourceType)]++
	}
	want := map[string]int{"model": 2, "seed": 1, "test": 6, "unit_test": 1}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("nodes by type = %v, want %v", kinds, want)
	}
}

func TestWriteRefusesToOverwrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	paths, err := Write(dir, "new")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".gitignore", "project.yml", "models/schema.yml", "seeds/countries.csv"} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("%s not written (wrote %v)", want, paths)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "project.yml")); !strings.Contains(string(b), "name: new\n") {
		t.Errorf("project.yml does not name the project:\n%s", b)
	}

	// A second init, or an init over an existing project, writes nothing.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "project.yml"), []byte("name: mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, other} {
		if _, err := Write(d, "x"); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "project.yml") {
			t.Errorf("Write over %s: %v, want ErrExists naming project.yml", d, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(other, "project.yml")); string(b) != "name: mine\n" {
		t.Errorf("project.yml overwritten: %q", b)
	}
	if _, err := os.Stat(filepath.Join(other, "models")); !os.IsNotExist(err) {
		t.Errorf("a refused init created models/: %v", err)
	}
	if _, err := Files("1bad-name"); err == nil {
		t.Error("Files accepted an invalid project name")
	}
}

func TestProjectName(t *testing.T) {
	for in, want := range map[string]string{
		"shop": "shop", "/tmp/My-Shop": "my_shop", "2024 sales": "p_2024_sales", "---": "my_project", "a.b": "a_b",
	} {
		if got := ProjectName(in); got != want {
			t.Errorf("ProjectName(%q) = %q, want %q", in, got, want)
		}
	}
}
