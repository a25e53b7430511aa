package jinja

import (
	"fmt"
	"strings"
	"testing"
)

func TestLexPositionsAndTrim(t *testing.T) {
	segs, err := Lex("a\n  {%- if x -%}b{{ 'x}}' }}{# c #}")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind        Kind
		body        string
		line, col   int
		left, right bool
	}{
		{Text, "a\n  ", 1, 1, false, false},
		{Stmt, " if x ", 2, 3, true, true},
		{Text, "b", 2, 15, false, false},
		{Output, " 'x}}' ", 2, 16, false, false}, // }} inside a string does not close the tag
		{Comment, " c ", 2, 27, false, false},
	}
	if len(segs) != len(want) {
		t.Fatalf("got %d segments: %+v", len(segs), segs)
	}
	for i, w := range want {
		s := segs[i]
		if s.Kind != w.kind || s.Body != w.body || s.Pos.Line != w.line || s.Pos.Col != w.col || s.TrimLeft != w.left || s.TrimRight != w.right {
			t.Errorf("segment %d = %+v, want %+v", i, s, w)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for src, want := range map[string]string{
		"x\n{{ ref('a') ":                   "2:1: unclosed {{",
		"{% if a %}x":                       "1:1: {% if %} has no {% endif %}",
		"{% endif %}":                       "1:1: unexpected {% endif %}",
		"{% for a b %}{% endfor %}":         "1:1: for: expected 'for x in ...'",
		"{% macro m(a, 1) %}{% endmacro %}": "macro: parameter",
	} {
		_, err := Parse(src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", src, err, want)
		}
	}
}

func TestParseExpr(t *testing.T) {
	for src, want := range map[string]string{
		`ref('a')`:                        `jinja.Call{Fn:jinja.Name{Name:"ref"}, Args:[]jinja.Expr{jinja.Lit{Val:"a"}}, Kw:[]jinja.Kwarg(nil)}`,
		`not loop.last`:                   `jinja.Unary{Op:"not", X:jinja.Attr{X:jinja.Name{Name:"loop"}, Name:"last"}}`,
		`a ~ 'b' if c else -1`:            `jinja.Cond{Then:jinja.Binary{Op:"~", L:jinja.Name{Name:"a"}, R:jinja.Lit{Val:"b"}}, Cond:jinja.Name{Name:"c"}, Else:jinja.Lit{Val:-1}}`,
		`x not in [1, 2.5] and y is none`: `jinja.Binary{Op:"and", L:jinja.Binary{Op:"not in", L:jinja.Name{Name:"x"}, R:jinja.List{Elems:[]jinja.Expr{jinja.Lit{Val:1}, jinja.Lit{Val:2.5}}}}, R:jinja.Test{X:jinja.Name{Name:"y"}, Not:false, Name:"none", Args:[]jinja.Expr(nil)}}`,
	} {
		e, err := ParseExpr(src)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if got := sprint(e); got != want {
			t.Errorf("%s:\n got %s\nwant %s", src, got, want)
		}
	}
}

func sprint(e Expr) string { return fmt.Sprintf("%#v", e) }
