package tmpl

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"text/template/parse"
)

// checkQuick compares quickParse with text/template on src: when quickParse takes a template,
// text/template must parse it too, the static declarations must be equal, and rendering the
// quick tree must give text/template's output (or both fail). It reports whether quickParse
// took it.
func checkQuick(t *testing.T, e *Engine, macros *Macros, src string) bool {
	t.Helper()
	const file = "models/q.sql"
	tp, err := e.Parse(file, src, macros)
	trees, terr := parse.Parse(file, src, "", "", e.names)
	if err != nil || tp.trees != nil {
		return false // declined: the text/template path handled it
	}
	if terr != nil {
		t.Errorf("quickParse took what text/template rejects (%v): %q", terr, src)
		return true
	}
	var want Static
	for _, name := range append([]string{file}, sortedKeys(trees)...) {
		if tree := trees[name]; tree != nil && (name == file || name != file) {
			if err := extract(tree, file, src, &want); err != nil {
				t.Errorf("quickParse took what extract rejects (%v): %q", err, src)
				return true
			}
			if name == file {
				break
			}
		}
	}
	if !reflect.DeepEqual(tp.Static, want) {
		t.Errorf("static declarations differ for %q:\nquick %+v\n text %+v", src, tp.Static, want)
	}
	for _, inc := range []bool{false, true} {
		x := macros.acquire()
		fast, ferr := x.renderFast(tp, fastEnv(inc))
		slow, serr := x.render(tp, fastEnv(inc))
		macros.release(x)
		if ferr == nil && (fast != slow || serr != nil) {
			t.Errorf("render of %q (incremental %v):\nquick %q\n text %q, %v", src, inc, fast, slow, serr)
		}
	}
	return true
}

var quickTaken = []string{
	"", "select 1\n",
	"{{ config \"materialized\" \"table\" \"order_by\" \"id\" \"tags\" (list \"g1\" 2 true 1.5 1.0) }}\nselect * from {{ ref \"a\" }}",
	"{{- /* a comment */ -}}\n  select {{ source \"raw\" \"events\" }} {{/* x */}} done",
	"a {{- ref \"x\" -}} \n b {{ ref \"y\" -}}\t\n c {{- ref \"z\" }} d",
	"{{ if is_incremental }}inc {{ this }}{{ else }}full{{ end }}",
	"{{- if not is_incremental }} full\n{{- else if var \"x\" }} x {{- else }} other {{ end -}}\n tail",
	"{{ macro \"cents\" \"p0.amount\" 100 }} {{ macro \"cents\" \"x\" -2.5 }} {{ macro \"since\" (ref \"a\") }}",
	"{{ macro \"nested\" (var \"n\") }} {{ var \"unset\" `raw\nstring` }} {{ env_var \"E\" \"d\" }} {{ project_dir }}",
	"{{ ref\n  \"multi\"\n }}",
	"{{ ref \"a\" \"v2\" }} {{ ref `b` }} \"}}\" {{ ref \"c}}d\" }}",
	"{{ var \"start_date\" }}{{ var \"n\" }}{{ var \"yes\" }}",
	"{{ macro \"cents\" 0 7 }}",
}

var quickDeclined = []string{
	"{{ upper \"x\" }}", "{{ $x := ref \"a\" }}{{ $x }}", "{{ range list 1 }}{{ end }}", "{{ ref \"a\" | printf \"%s\" }}",
	"{{ define \"l\" }}x{{ end }}{{ template \"l\" }}", "{{ ref 1 }}", "{{ ref \"a\" \"b\" \"c\" }}", "{{ source \"a\" }}",
	"{{ config \"a\" }}", "{{ config 1 2 }}", "{{ config \"k\" (ref \"a\") }}", "{{ macro 1 }}", "{{ macro }}",
	"{{ if }}x{{ end }}", "{{ if is_incremental }}x", "{{ end }}", "{{ else }}", "{{ ref \"a\" }", "{{ ref \"a }}",
	"{{ /* not a comment */ }}", "{{/* unclosed }}", "{{/* x */ ref \"a\" }}", "{{ ref (\"x\") }}", "{{ 010 }}",
	"{{ macro \"cents\" 010 }}", "{{ macro \"cents\" 1_000 }}", "{{ macro \"cents\" 1e3 }}", "{{ macro \"cents\" 0x10 }}",
	"{{ macro \"cents\" 'a' }}", "{{ ref.x }}", "{{ .Args }}", "{{ index .Args 0 }}", "{{ list 1 2 }}", "{{ nil }}",
	"{{ true }}", "{{ \"s\" }}", "{{- }}", "{{-ref \"a\"}}", "{{ ref \"a\"-}}", "{{ with ref \"a\" }}{{ end }}",
	"{{ ref \"\\q\" }}", "{{ ref \"a\"\"b\" }}", "{{ refé \"a\" }}",
}

func TestQuickParseMatchesTextTemplate(t *testing.T) {
	e := NewEngine()
	macros, err := e.ParseMacros(map[string]string{"macros/m.sql": fastMacros})
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range quickTaken {
		if !checkQuick(t, e, macros, src) {
			t.Errorf("quickParse declined %q", src)
		}
	}
	for _, src := range quickDeclined {
		if checkQuick(t, e, macros, src) {
			t.Errorf("quickParse took %q", src)
		}
	}
	// Every model and test of the repository's warehouse project.
	files, _ := filepath.Glob("../../models/*/*.sql")
	more, _ := filepath.Glob("../../tests/*/*.sql")
	taken := 0
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if checkQuick(t, e, macros, string(data)) {
			taken++
		}
	}
	if taken < len(files)/2 {
		t.Errorf("quickParse took %d of %d repository templates", taken, len(files)+len(more))
	}
}

func FuzzQuickParse(f *testing.F) {
	for _, s := range append(append([]string{}, quickTaken...), quickDeclined...) {
		f.Add(s)
	}
	e := NewEngine()
	macros, err := e.ParseMacros(map[string]string{"macros/m.sql": fastMacros})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string) {
		checkQuick(t, e, macros, src)
	})
}
