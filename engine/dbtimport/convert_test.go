package dbtimport_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/dbtimport"
	"github.com/dwmhq/dwm/engine/tmpl"
	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden .dwm and .problems sections")

// TestConstructs converts each construct of testdata/constructs.txtar, compares the result with
// its golden text, and renders it with dwm's template engine: the rendered text must be what
// dbt renders from the original (written by hand in NAME.rendered).
func TestConstructs(t *testing.T) {
	file := filepath.Join("testdata", "constructs.txtar")
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	var names []string
	for _, f := range ar.Files {
		sections[f.Name] = string(f.Data)
		if base, ok := strings.CutSuffix(f.Name, ".jinja"); ok && base != "macros" {
			names = append(names, base)
		}
	}
	macros := dbtimport.Macros(sections["macros.jinja"])
	macroText, problems, err := dbtimport.Convert("macros.sql", sections["macros.jinja"], macros, "shop")
	if err != nil || len(problems) > 0 {
		t.Fatalf("macros: %v %v", err, problems)
	}
	engine := tmpl.NewEngine()
	lib, err := engine.ParseMacros(map[string]string{"macros.sql": macroText})
	if err != nil {
		t.Fatalf("converted macros do not parse: %v\n%s", err, macroText)
	}
	got := map[string]string{"macros.dwm": macroText}
	for _, name := range names {
		out, problems, err := dbtimport.Convert(name+".sql", sections[name+".jinja"], macros, "shop")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got[name+".dwm"] = out
		var ps strings.Builder
		for _, p := range problems {
			fmt.Fprintln(&ps, p)
		}
		if ps.Len() > 0 || sections[name+".problems"] != "" {
			got[name+".problems"] = ps.String()
		}
		want, render := sections[name+".rendered"]
		if !render {
			continue
		}
		if len(problems) > 0 {
			t.Errorf("%s: want no problems, got %s", name, ps.String())
			continue
		}
		tp, err := engine.Parse(name+".sql", out, lib)
		if err != nil {
			t.Errorf("%s: converted text does not parse: %v\n%s", name, err, out)
			continue
		}
		rendered, err := tp.Render(&tmpl.Env{
			Ref:    func(n string) (string, error) { return "db." + n, nil },
			Source: func(s, n string) (string, error) { return s + "." + n, nil },
			Var: func(n string, def []any) (any, error) {
				if n == "limit" {
					return 10, nil
				}
				return def[0], nil
			},
			EnvVar:        func(n string, def []any) (string, error) { return fmt.Sprint(def[0]), nil },
			This:          "db.this",
			IsIncremental: true,
		})
		if err != nil {
			t.Errorf("%s: render: %v\n%s", name, err, out)
			continue
		}
		if strings.TrimSuffix(rendered, "\n") != strings.TrimSuffix(want, "\n") {
			t.Errorf("%s: rendered\n%q\nwant (dbt's rendering)\n%q\nfrom\n%s", name, rendered, want, out)
		}
	}
	golden(t, file, ar, got)
}

// golden compares the computed sections with the archive's, or rewrites them with -update.
func golden(t *testing.T, file string, ar *txtar.Archive, got map[string]string) {
	have := map[string]bool{}
	for i, f := range ar.Files {
		g, ok := got[f.Name]
		if !ok {
			continue
		}
		have[f.Name] = true
		if *update {
			ar.Files[i].Data = []byte(g)
		} else if string(f.Data) != g {
			t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", f.Name, g, f.Data)
		}
	}
	var missing []string
	for name := range got {
		if !have[name] {
			missing = append(missing, name)
		}
	}
	if *update {
		for _, name := range missing {
			// Insert after the case's .jinja section.
			base := name[:strings.LastIndex(name, ".")]
			for i, f := range ar.Files {
				if f.Name == base+".jinja" {
					ar.Files = append(ar.Files[:i+1], append([]txtar.File{{Name: name, Data: []byte(got[name])}}, ar.Files[i+1:]...)...)
					break
				}
			}
		}
		if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, name := range missing {
		t.Errorf("no golden section %s in %s (run go test -update)", name, file)
	}
}
