package tmpl

import (
	"fmt"
	"strings"
	"testing"
)

func TestStaticExtraction(t *testing.T) {
	e := NewEngine()
	src := `{{ config "materialized" "table" "order_by" (list "a" "b") }}
select * from {{ ref "a" }}
{{ if is_incremental }} join {{ ref "b" }} using id {{ else }}{{ source "raw" "events" }}{{ end }}
{{ macro "m" 1 (ref "c") }}`
	tp, err := e.Parse("models/x.sql", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, r := range tp.Static.Refs {
		refs = append(refs, r.Args[0].(string))
	}
	if got := strings.Join(refs, ","); got != "a,b,c" {
		t.Fatalf("refs = %s, want a,b,c", got)
	}
	if len(tp.Static.Sources) != 1 || tp.Static.Sources[0].Args[1] != "events" {
		t.Fatalf("sources = %+v", tp.Static.Sources)
	}
	cfg := tp.Static.Configs[0].Args
	if cfg[0] != "materialized" || cfg[1] != "table" || fmt.Sprint(cfg[3]) != "[a b]" {
		t.Fatalf("config = %#v", cfg)
	}
	if tp.Static.Refs[1].Line != 3 {
		t.Fatalf("ref b line = %d, want 3", tp.Static.Refs[1].Line)
	}
	if len(tp.Static.Macros) != 1 || tp.Static.Macros[0].Args[0] != "m" {
		t.Fatalf("macros = %+v", tp.Static.Macros)
	}
}

func TestNonLiteralRefIsError(t *testing.T) {
	e := NewEngine()
	_, err := e.Parse("models/x.sql", "select 1\n  {{ ref (printf \"a%d\" 1) }}", nil)
	if err == nil || !strings.Contains(err.Error(), "models/x.sql:2:6:") || !strings.Contains(err.Error(), "literal") {
		t.Fatalf("err = %v", err)
	}
}

func TestSyntaxErrorNamesFileAndLine(t *testing.T) {
	e := NewEngine()
	_, err := e.Parse("models/bad.sql", "select\n{{ if true }}\n1", nil)
	if err == nil || !strings.HasPrefix(err.Error(), "models/bad.sql:") {
		t.Fatalf("err = %v", err)
	}
	_, err = e.Parse("models/bad.sql", "select {{ nosuchfunc 1 }}", nil)
	if err == nil || !strings.Contains(err.Error(), "models/bad.sql:1") || !strings.Contains(err.Error(), "nosuchfunc") {
		t.Fatalf("err = %v", err)
	}
}

func TestRenderWithMacrosAndVars(t *testing.T) {
	e := NewEngine()
	macros, err := e.ParseMacros(map[string]string{
		"macros/a.sql": `{{ define "cents" }}({{ index .Args 0 }} * 100){{ end }}{{ define "wrap" }}[{{ macro "cents" (index .Args 0) }} from {{ ref "base" }}]{{ end }}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	tp, err := e.Parse("models/x.sql", `select {{ macro "wrap" "price" }}, {{ var "n" 7 }}, {{ var "m" }}{{ if is_incremental }} where x > (select max(x) from {{ this }}){{ end }}`, macros)
	if err != nil {
		t.Fatal(err)
	}
	st, err := macros.Closure([]string{"wrap"})
	if err != nil || len(st.Refs) != 1 || st.Refs[0].Args[0] != "base" {
		t.Fatalf("closure = %+v, %v", st, err)
	}
	env := &Env{
		Ref: func(n string) (string, error) { return "`db`.`" + n + "`", nil },
		Var: func(n string, def []any) (any, error) {
			if n == "m" {
				return "M", nil
			}
			if len(def) > 0 {
				return def[0], nil
			}
			return nil, fmt.Errorf("var %q is not defined", n)
		},
		This:          "`db`.`x`",
		IsIncremental: true,
	}
	out, err := tp.Render(env)
	if err != nil {
		t.Fatal(err)
	}
	want := "select [(price * 100) from `db`.`base`], 7, M where x > (select max(x) from `db`.`x`)"
	if out != want {
		t.Fatalf("got  %q\nwant %q", out, want)
	}
}

func TestRenderErrorNamesPosition(t *testing.T) {
	e := NewEngine()
	tp, err := e.Parse("models/x.sql", "select\n  {{ var \"missing\" }}", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tp.Render(&Env{Var: func(n string, def []any) (any, error) { return nil, fmt.Errorf("var %q is not defined", n) }})
	if err == nil || !strings.HasPrefix(err.Error(), "models/x.sql:2:5:") || !strings.Contains(err.Error(), `var "missing" is not defined`) {
		t.Fatalf("err = %v", err)
	}
}

func TestDuplicateMacroNamesBothFiles(t *testing.T) {
	e := NewEngine()
	_, err := e.ParseMacros(map[string]string{
		"macros/a.sql": `{{ define "m" }}1{{ end }}`,
		"macros/b.sql": `{{ define "m" }}2{{ end }}`,
	})
	if err == nil || !strings.Contains(err.Error(), "macros/a.sql") || !strings.Contains(err.Error(), "macros/b.sql") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnknownMacroSuggests(t *testing.T) {
	e := NewEngine()
	macros, _ := e.ParseMacros(map[string]string{"macros/a.sql": `{{ define "cents" }}x{{ end }}`})
	if _, err := macros.Closure([]string{"cent"}); err == nil || !strings.Contains(err.Error(), "did you mean cents") {
		t.Fatalf("err = %v", err)
	}
}

// Executors are shared, and text/template keeps an existing template rather than replace it
// with an empty one: an empty body (a hook, an inline query) rendered after another template of
// the same name used to render that one.
func TestEmptyTemplateRendersNothing(t *testing.T) {
	e := NewEngine()
	slow := &Env{Extra: map[string]any{"unused": func() string { return "" }}} // text/template's path
	for _, src := range []string{"select 1", "", "select 2", "{{/* only a comment */}}", "  "} {
		tp, err := e.Parse("models/x.sql (hook)", src, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, env := range []*Env{slow, {}} {
			got, err := tp.Render(env)
			if want := strings.TrimPrefix(strings.TrimPrefix(src, "{{/* only a comment */}}"), ""); err != nil || got != want {
				t.Fatalf("render %q: got %q, %v; want %q", src, got, err, want)
			}
		}
	}
}

// TestBatchRef: batch_ref is a ref for the DAG (a static call with one literal name) and renders
// as ref unless the render scopes it.
func TestBatchRef(t *testing.T) {
	e := NewEngine()
	tp, err := e.Parse("tests/t.sql", "select * from {{ batch_ref \"events\" }} join {{ ref \"users\" }} using id", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := tp.Static.Refs; len(r) != 2 || r[0].Func != "batch_ref" || r[0].Args[0] != "events" || r[1].Func != "ref" {
		t.Fatalf("refs = %+v", r)
	}
	env := &Env{Ref: func(n string) (string, error) { return "`db`.`" + n + "`", nil }}
	full, err := tp.Render(env)
	if want := "select * from `db`.`events` join `db`.`users` using id"; err != nil || full != want {
		t.Fatalf("full = %q, %v; want %q", full, err, want)
	}
	env.BatchRef = func(n string) (string, error) { return "(new " + n + ")", nil }
	scoped, err := tp.Render(env)
	if want := "select * from (new events) join `db`.`users` using id"; err != nil || scoped != want {
		t.Fatalf("scoped = %q, %v; want %q", scoped, err, want)
	}
	for _, bad := range []string{`{{ batch_ref }}`, `{{ batch_ref "a" "b" }}`, `{{ batch_ref (printf "a") }}`} {
		if _, err := e.Parse("tests/t.sql", bad, nil); err == nil || !strings.Contains(err.Error(), "tests/t.sql:1:") {
			t.Errorf("%s: err = %v, want a positioned error", bad, err)
		}
	}
}
