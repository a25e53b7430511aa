package tmpl

import (
	"strings"
	"testing"
)

func TestMacroParameters(t *testing.T) {
	e := NewEngine()
	m, err := e.ParseMacros(map[string]string{"macros/m.sql": `{{ define "since" }}{{ param "col" }}{{ param "days" 30 }}{{ .col }}-{{ .days }}{{ end }}` +
		`{{ define "first" }}{{ index .Args 0 }}{{ end }}` +
		`{{ define "any" }}{{ range .Args }}{{ . }}{{ end }}{{ end }}`})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []any
		want string // output, or "error: ..." substring
	}{
		{"since", []any{"a"}, "a-30"},
		{"since", []any{"a", 7}, "a-7"},
		{"since", []any{Named{"days", 1}, Named{"col", "b"}}, "b-1"},
		{"since", []any{"a", Named{"days", 2}}, "a-2"},
		{"since", nil, `error: missing argument "col"`},
		{"since", []any{"a", 1, 2}, `error: macro "since" takes 2 arguments (col, days), got 3`},
		{"since", []any{"a", Named{"col", "b"}}, "error: passed both by position and by name"},
		{"since", []any{"a", Named{"dayz", 1}}, `error: has no parameter "dayz"`},
		{"since", []any{Named{"col", "b"}, "x"}, "error: a positional argument follows a named one"},
		{"first", []any{"x"}, "x"},
		{"first", []any{"x", "y"}, `error: macro "first" takes 1 argument`},
		{"first", []any{Named{"a", 1}}, "error: declares no parameters"},
		{"any", []any{1, 2, 3}, "123"},
	} {
		got, err := m.Call(c.name, c.args, &Env{})
		if strings.HasPrefix(c.want, "error: ") {
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.want, "error: ")) {
				t.Errorf("%s%v: err = %v, want %q", c.name, c.args, err, c.want)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s%v = %q, %v; want %q", c.name, c.args, got, err, c.want)
		}
	}
	if _, err := e.ParseMacros(map[string]string{"m.sql": `{{ define "x" }}{{ param "a" 1 }}{{ param "b" }}{{ end }}`}); err == nil ||
		!strings.Contains(err.Error(), `parameter "b" has no default but follows one that has`) {
		t.Errorf("a required parameter after a default: %v", err)
	}
	if _, err := e.Parse("models/a.sql", `{{ param "a" }}select 1`, m); err == nil || !strings.Contains(err.Error(), "belongs in a {{ define }} block") {
		t.Errorf("param in a model: %v", err)
	}
}
