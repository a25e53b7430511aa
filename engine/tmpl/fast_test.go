package tmpl

import (
	"errors"
	"fmt"
	"testing"
)

// fastMacros covers what macros do: print their arguments, read vars, call each other, and one
// (`wrapped`) leaves the fast path because it calls a define block with {{ template }}.
const fastMacros = `{{ define "cents" }}toInt64({{ index .Args 0 }} * {{ index .Args 1 }}){{ end }}
{{ define "since" }}{{ index .Args 0 }} >= toDate('{{ var "start_date" }}'){{ end }}
{{ define "nested" }}[{{ macro "cents" (index .Args 0) 100 }}|{{ macro "since" "d" }}]{{ end }}
{{ define "all" }}{{ .Args }}{{ end }}
{{ define "deep" }}{{ macro "deep" }}{{ end }}
{{ define "inner" }}<{{ index .Args 0 }}>{{ end }}
{{ define "wrapped" }}{{ template "inner" . }}{{ end }}
{{ define "oob" }}{{ index .Args 5 }}{{ end }}
`

func fastEnv(incremental bool) *Env {
	vars := map[string]any{"start_date": "2024-01-01", "n": 10, "f": 2.5, "yes": true, "empty": "", "none": nil,
		"list": []any{"a", 1}}
	return &Env{
		Ref: func(name string) (string, error) {
			if name == "missing" {
				return "", fmt.Errorf("ref %q: no model or seed of that name", name)
			}
			return "`db`.`" + name + "`", nil
		},
		Source: func(src, table string) (string, error) { return "`" + src + "`.`" + table + "`", nil },
		Var: func(name string, def []any) (any, error) {
			if v, ok := vars[name]; ok {
				return v, nil
			}
			if len(def) > 0 {
				return def[0], nil
			}
			return nil, errors.New("var " + name + " is not set")
		},
		EnvVar: func(name string, def []any) (string, error) {
			if len(def) > 0 {
				return fmt.Sprint(def[0]), nil
			}
			return "", errors.New("env_var " + name + " is not set")
		},
		BatchRef: func(name string) (string, error) {
			if name == "new" {
				return "(SELECT * FROM `db`.`new` WHERE `_load_seq` > 3)", nil
			}
			return "", fmt.Errorf("ref %q: no model or seed of that name", name)
		},
		This:          "`db`.`me`",
		IsIncremental: incremental,
		ProjectDir:    "/p",
	}
}

// TestFastMatchesTextTemplate renders templates on the fast path and with text/template and
// requires the same bytes, or the same error.
func TestFastMatchesTextTemplate(t *testing.T) {
	e := NewEngine()
	macros, err := e.ParseMacros(map[string]string{"macros/m.sql": fastMacros})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cents", "since", "nested", "all", "deep", "inner", "oob"} {
		if _, ok := macros.fast[name]; !ok {
			t.Errorf("macro %s should render on the fast path", name)
		}
	}
	if _, ok := macros.fast["wrapped"]; ok {
		t.Error("macro wrapped uses {{ template }} and must not be on the fast path")
	}
	cases := []struct {
		src  string
		fast bool // whether the template itself is on the fast path
	}{
		{"select 1\n", true},
		{`{{ config "materialized" "table" "tags" (list "a" "b") }}select * from {{ ref "a" }} join {{ ref "b" "v2" }}`, true},
		{`{{- /* a comment */ -}}  select {{ source "raw" "events" }} {{/* another */}}`, true},
		{`{{ if is_incremental }}where x > (select max(x) from {{ this }}){{ else }}-- full{{ end }}`, true},
		{`{{- if not is_incremental }} full {{- end }} {{ if var "empty" }}yes{{ else }}no{{ end }}`, true},
		{`{{ var "start_date" }} {{ var "n" }} {{ var "f" }} {{ var "yes" }} {{ var "unset" "dflt" }} {{ var "unset" 3 }}`, true},
		{`{{ env_var "DWM_X" "fallback" }} {{ project_dir }} {{ is_incremental }}`, true},
		{`{{ macro "cents" "p0.amount" 100 }} {{ macro "cents" "x" 2.5 }} {{ macro "cents" "x" true }}`, true},
		{`{{ macro "nested" "p.a" }} {{ macro "since" (ref "a") }} {{ macro "cents" (var "n") (var "f") }}`, true},
		{`{{ macro "wrapped" "slow" }} and {{ macro "inner" 1 }}`, true},
		{`{{ macro "all" 1 "b" }}`, true},                               // a list: text/template prints it
		{`{{ var "none" }}`, true},                                      // nil prints <no value>
		{`{{ var "list" }}`, true},                                      // a list
		{`{{ if var "n" }}n{{ end }}`, true},                            // an int condition
		{`{{ ref "missing" }}`, true},                                   // an error
		{`{{ batch_ref "a" }} {{ batch_ref "new" }}`, true},             // scoped and not
		{`{{ batch_ref "missing" }}`, true},                             // an error
		{`{{ var "unset" }}`, true},                                     // an error
		{`{{ macro "nope" }}`, true},                                    // an unknown macro
		{`{{ macro "deep" }}`, true},                                    // runaway recursion
		{`{{ macro "oob" 1 }}`, true},                                   // index out of range
		{`{{ ref 1 }}`, true},                                           // a wrong type
		{`{{ upper "sprig" }} {{ ref "a" }}`, false},                    // other functions
		{`{{ $x := ref "a" }}{{ $x }}`, false},                          // variables
		{`{{ range list 1 2 }}{{ . }}{{ end }}`, false},                 // range
		{`{{ define "local" }}L{{ end }}{{ template "local" }}`, false}, // local blocks
		{`{{ ref "a" | printf "%s!" }}`, false},                         // pipelines
		{`{{ macro "cents" 0x1p-2 1 }}`, false},                         // a hex float
	}
	for _, inc := range []bool{false, true} {
		for _, c := range cases {
			tp, err := e.Parse("models/x.sql", c.src, macros)
			if err != nil {
				// Parse rejects some on its own (ref 1 is not a literal string): nothing to render.
				continue
			}
			if (tp.body != nil) != c.fast {
				t.Errorf("%s: fast = %v, want %v", c.src, tp.body != nil, c.fast)
			}
			x := macros.acquire()
			slow, slowErr := x.render(tp, fastEnv(inc))
			macros.release(x)
			got, gotErr := tp.Render(fastEnv(inc))
			if got != slow || fmt.Sprint(gotErr) != fmt.Sprint(slowErr) {
				t.Errorf("%s (incremental %v):\nfast %q, %v\nslow %q, %v", c.src, inc, got, gotErr, slow, slowErr)
			}
		}
	}
}

// TestFastPathRendersWithoutTextTemplate makes sure the fast path is taken where it should be:
// a template whose own render succeeds there gives its output without the fallback.
func TestFastPathRendersWithoutTextTemplate(t *testing.T) {
	e := NewEngine()
	macros, err := e.ParseMacros(map[string]string{"macros/m.sql": fastMacros})
	if err != nil {
		t.Fatal(err)
	}
	tp, err := e.Parse("models/x.sql", `select {{ macro "nested" "a" }} from {{ ref "t" }}`, macros)
	if err != nil {
		t.Fatal(err)
	}
	x := macros.acquire()
	defer macros.release(x)
	got, err := x.renderFast(tp, fastEnv(false))
	if err != nil {
		t.Fatal(err)
	}
	if want := "select [toInt64(a * 100)|d >= toDate('2024-01-01')] from `db`.`t`"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
