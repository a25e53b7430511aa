package dbtimport

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dwmhq/dwm/engine/dbtimport/jinja"
)

// Finding is Jinja found in a dwm template or YAML file: where, what, and its dwm form when one
// construct alone can be converted ("" otherwise).
type Finding struct {
	Line, Col int
	Jinja     string
	Dwm       string
}

// Message is the error text: what was found, that dwm templates are Go templates, the dwm form,
// and where to convert a whole project.
func (f Finding) Message() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s is Jinja (dbt's template language), but dwm templates are Go templates", f.Jinja)
	if f.Dwm != "" {
		fmt.Fprintf(&b, "; in dwm write: %s", f.Dwm)
	}
	b.WriteString(" (`dwm import dbt SRC DEST` converts a whole dbt project; see docs/from-dbt.md)")
	return b.String()
}

// jinjaCall matches what only Jinja writes inside {{ }}: a call with parentheses right after a
// name (ref('x'), config(...), dbt_utils.star(...)) or a single-quoted string longer than a
// character (Go's '...' is a one-character constant).
var jinjaCall = regexp.MustCompile(`(^|[^\w.$])[A-Za-z_][\w.]*\(|'[^']{2,}'`)

// FindJinja returns the first Jinja construct in text. {% %} and {# #} are always Jinja (Go
// templates have neither); {{ }} actions count only when they look like Jinja, which callers ask
// for when Go's parser has already failed (actions says so), so valid dwm never trips it.
func FindJinja(text string, actions bool) (Finding, bool) {
	if !strings.Contains(text, "{%") && !strings.Contains(text, "{#") && !(actions && strings.Contains(text, "{{")) {
		return Finding{}, false
	}
	segs, err := jinja.Lex(text)
	if err != nil {
		return Finding{}, false
	}
	for _, s := range segs {
		raw := text[s.Start:s.End]
		switch s.Kind {
		case jinja.Stmt:
			if keyword := strings.Fields(s.Body); len(keyword) == 0 {
				continue
			}
			return Finding{Line: s.Pos.Line, Col: s.Pos.Col, Jinja: short(raw), Dwm: tagForm(s)}, true
		case jinja.Comment:
			return Finding{Line: s.Pos.Line, Col: s.Pos.Col, Jinja: short(raw), Dwm: commentForm(s)}, true
		case jinja.Output:
			if actions && jinjaCall.MatchString(s.Body) {
				return Finding{Line: s.Pos.Line, Col: s.Pos.Col, Jinja: short(raw), Dwm: outputForm(s)}, true
			}
		}
	}
	return Finding{}, false
}

func short(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " ..."
	}
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}

// hintConverter converts a lone construct: names it does not know are taken as variables.
func hintConverter(src string) *converter {
	return &converter{src: src, macros: map[string]*Macro{}, scopes: []scope{{}}, yaml: true}
}

func (c *converter) permissive(e jinja.Expr) {
	called := map[string]bool{"this": true, "loop": true}
	walkExpr(e, func(x jinja.Expr) {
		switch x := x.(type) {
		case jinja.Call:
			if n, ok := x.Fn.(jinja.Name); ok {
				called[n.Name] = true
			}
		case jinja.Attr:
			if n, ok := x.X.(jinja.Name); ok {
				called[n.Name] = true // a package or object: dbt_utils, adapter, target
			}
		}
	})
	walkExpr(e, func(x jinja.Expr) {
		if n, ok := x.(jinja.Name); ok {
			if _, known := c.lookup(n.Name); !known && !called[n.Name] {
				c.scopes[0][n.Name] = "$" + n.Name
			}
		}
	})
}

func outputForm(s jinja.Segment) string {
	x, err := jinja.ParseExpr(s.Body)
	if err != nil {
		return ""
	}
	c := hintConverter(s.Body)
	c.permissive(x)
	out, err := c.command(x)
	if err != nil {
		return ""
	}
	return goAction(s.TrimLeft, s.TrimRight, out)
}

// tagForm converts one {% %} tag on its own; block structure is not needed to show its form.
func tagForm(s jinja.Segment) string {
	body := strings.TrimSpace(s.Body)
	kw, rest, _ := strings.Cut(body, " ")
	rest = strings.TrimSpace(rest)
	c := hintConverter(body)
	expr := func(src string) (string, bool) {
		x, err := jinja.ParseExpr(src)
		if err != nil {
			return "", false
		}
		c.permissive(x)
		out, err := c.command(x)
		return out, err == nil
	}
	act := func(inner string) string { return goAction(s.TrimLeft, s.TrimRight, inner) }
	switch {
	case kw == "if" || kw == "elif":
		if e, ok := expr(rest); ok {
			if kw == "elif" {
				return act("else if " + e)
			}
			return act("if " + e)
		}
	case kw == "else":
		return act("else")
	case strings.HasPrefix(kw, "end"):
		return act("end")
	case kw == "for":
		vars, iter, ok := strings.Cut(rest, " in ")
		if e, ok2 := expr(iter); ok && ok2 {
			names := strings.Split(vars, ",")
			for i := range names {
				names[i] = "$" + strings.TrimSpace(names[i])
			}
			return act("range " + strings.Join(names, ", ") + " := " + e)
		}
	case kw == "set":
		name, val, ok := strings.Cut(rest, "=")
		if e, ok2 := expr(val); ok && ok2 {
			return act("$" + strings.TrimSpace(name) + " := " + e)
		}
	case kw == "macro":
		name, _, _ := strings.Cut(rest, "(")
		name = strings.TrimSpace(name)
		return act(fmt.Sprintf("define %q", name)) + fmt.Sprintf(" with arguments {{ index .Args 0 }}, ..., called as {{ macro %q ... }}", name)
	case kw == "test":
		name, _, _ := strings.Cut(rest, "(")
		return act(fmt.Sprintf("define %q", strings.TrimSpace(name))) + " in tests/generic/, reading {{ .model }}, {{ .column_name }} and arguments by name"
	case kw == "docs":
		return act(fmt.Sprintf("define %q", rest))
	}
	return ""
}

func commentForm(s jinja.Segment) string {
	l, r := "{{", "}}"
	if s.TrimLeft {
		l = "{{- "
	}
	if s.TrimRight {
		r = " -}}"
	}
	return l + "/*" + strings.ReplaceAll(s.Body, "*/", "* /") + "*/" + r
}
