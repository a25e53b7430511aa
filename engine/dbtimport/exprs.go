package dbtimport

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/dbtimport/jinja"
)

// operand converts e to a Go template operand: a literal, a variable, or a parenthesised command.
func (c *converter) operand(e jinja.Expr) (string, error) {
	s, err := c.command(e)
	if err != nil {
		return "", err
	}
	if simpleOperand(s) {
		return s, nil
	}
	return "(" + s + ")", nil
}

// simpleOperand: a word with no spaces, a quoted string, or an already parenthesised command.
func simpleOperand(s string) bool {
	if !strings.ContainsAny(s, " \t\n") {
		return true
	}
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if _, err := strconv.Unquote(s); err == nil {
			return true
		}
	}
	return false
}

// literal renders a Jinja literal as Go template syntax.
func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case string:
		return strconv.Quote(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	case bool:
		return strconv.FormatBool(v)
	}
	return fmt.Sprint(v)
}

// command converts e to a Go template command (no surrounding parentheses).
func (c *converter) command(e jinja.Expr) (string, error) {
	switch e := e.(type) {
	case jinja.Lit:
		return literal(e.Val), nil
	case jinja.Name:
		return c.name(e.Name)
	case jinja.List:
		parts := []string{"list"}
		for _, x := range e.Elems {
			s, err := c.operand(x)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " "), nil
	case jinja.Dict:
		parts := []string{"dict"}
		for i := range e.Keys {
			k, err := c.operand(e.Keys[i])
			if err != nil {
				return "", err
			}
			v, err := c.operand(e.Vals[i])
			if err != nil {
				return "", err
			}
			parts = append(parts, k, v)
		}
		return strings.Join(parts, " "), nil
	case jinja.Attr:
		return c.attr(e)
	case jinja.Index:
		x, err := c.operand(e.X)
		if err != nil {
			return "", err
		}
		k, err := c.operand(e.Key)
		if err != nil {
			return "", err
		}
		return "index " + x + " " + k, nil
	case jinja.Call:
		return c.call(e)
	case jinja.Filter:
		return c.filter(e)
	case jinja.Unary:
		if e.Op == "not" {
			if a, ok := e.X.(jinja.Attr); ok && a.Name == "last" && isName(a.X, "loop") && len(c.loops) > 0 {
				l := c.loops[len(c.loops)-1]
				return fmt.Sprintf("lt (add1 %s) (len %s)", l.index, l.items), nil
			}
			x, err := c.operand(e.X)
			return "not " + x, err
		}
		x, err := c.operand(e.X)
		return "sub 0 " + x, err
	case jinja.Binary:
		return c.binary(e)
	case jinja.Cond:
		parts := []string{"ternary"}
		if l, ok := e.Else.(jinja.Lit); ok && l.Val == nil {
			e.Else = jinja.Lit{Val: ""} // `a if c` renders nothing otherwise, as Jinja's undefined does
		}
		for _, x := range []jinja.Expr{e.Then, e.Else, e.Cond} {
			s, err := c.operand(x)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " "), nil
	case jinja.Test:
		if e.Name == "none" && len(e.Args) == 0 {
			x, err := c.operand(e.X)
			if e.Not {
				return "ne " + x + " nil", err
			}
			return "eq " + x + " nil", err
		}
		return "", unconvertible("the Jinja test `is %s` has no dwm form", e.Name)
	}
	return "", unconvertible("unsupported expression")
}

func isName(e jinja.Expr, name string) bool {
	n, ok := e.(jinja.Name)
	return ok && n.Name == name
}

func (c *converter) name(n string) (string, error) {
	if v, ok := c.lookup(n); ok {
		return v, nil
	}
	switch n {
	case "this":
		return "this", nil
	case "target", "adapter", "graph", "execute", "flags", "invocation_id", "run_started_at", "modules", "builtins", "exceptions", "model", "context":
		return "", unconvertible("`%s` is dbt runtime context that dwm templates do not have", n)
	}
	return "", unconvertible("`%s` is not defined here (not a set variable, loop variable or macro argument)", n)
}

func (c *converter) attr(a jinja.Attr) (string, error) {
	if isName(a.X, "loop") && len(c.loops) > 0 {
		l := c.loops[len(c.loops)-1]
		switch a.Name {
		case "first":
			return "eq " + l.index + " 0", nil
		case "last":
			return fmt.Sprintf("eq (add1 %s) (len %s)", l.index, l.items), nil
		case "index0":
			return l.index, nil
		case "index":
			return "add1 " + l.index, nil
		case "length":
			return "len " + l.items, nil
		}
		return "", unconvertible("loop.%s has no dwm form (loop.first, loop.last, loop.index, loop.index0 and loop.length do)", a.Name)
	}
	if isName(a.X, "this") {
		return "", unconvertible("this.%s: dwm's {{ this }} is the quoted relation name only", a.Name)
	}
	if isName(a.X, "target") && a.Name == "type" {
		return `"clickhouse"`, nil
	}
	x, err := c.command(a.X)
	if err != nil {
		return "", err
	}
	if isVariable(x) {
		return x + "." + a.Name, nil
	}
	return fmt.Sprintf("index (%s) %q", x, a.Name), nil
}

// binary maps Jinja operators to text/template and sprig functions.
func (c *converter) binary(b jinja.Binary) (string, error) {
	if b.Op == "~" {
		parts := []string{"print"}
		for _, x := range flattenConcat(b) {
			s, err := c.operand(x)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " "), nil
	}
	l, err := c.operand(b.L)
	if err != nil {
		return "", err
	}
	r, err := c.operand(b.R)
	if err != nil {
		return "", err
	}
	float := isFloat(b.L) || isFloat(b.R)
	arith := func(i, f string) string {
		if float {
			return f
		}
		return i
	}
	switch b.Op {
	case "and", "or":
		return b.Op + " " + l + " " + r, nil
	case "==":
		return "eq " + l + " " + r, nil
	case "!=":
		return "ne " + l + " " + r, nil
	case "<":
		return "lt " + l + " " + r, nil
	case "<=":
		return "le " + l + " " + r, nil
	case ">":
		return "gt " + l + " " + r, nil
	case ">=":
		return "ge " + l + " " + r, nil
	case "in", "not in":
		f := "has " + l + " " + r
		if lit, ok := b.R.(jinja.Lit); ok {
			if _, s := lit.Val.(string); s {
				f = "contains " + r + " " + l
			}
		}
		if b.Op == "not in" {
			return "not (" + f + ")", nil
		}
		return f, nil
	case "+":
		if isString(b.L) || isString(b.R) {
			return "print " + l + " " + r, nil
		}
		return arith("add ", "addf ") + l + " " + r, nil
	case "-":
		return arith("sub ", "subf ") + l + " " + r, nil
	case "*":
		return arith("mul ", "mulf ") + l + " " + r, nil
	case "/":
		return "divf " + l + " " + r, nil
	case "//":
		return "div " + l + " " + r, nil
	case "%":
		if isString(b.L) {
			return "", unconvertible("%%-formatting of strings has no dwm form; use printf")
		}
		return "mod " + l + " " + r, nil
	}
	return "", unconvertible("the operator %s has no dwm form", b.Op)
}

func flattenConcat(e jinja.Expr) []jinja.Expr {
	if b, ok := e.(jinja.Binary); ok && b.Op == "~" {
		return append(flattenConcat(b.L), flattenConcat(b.R)...)
	}
	return []jinja.Expr{e}
}

func isString(e jinja.Expr) bool {
	if l, ok := e.(jinja.Lit); ok {
		_, s := l.Val.(string)
		return s
	}
	b, ok := e.(jinja.Binary)
	return ok && (b.Op == "~" || b.Op == "+" && (isString(b.L) || isString(b.R)))
}

func isFloat(e jinja.Expr) bool {
	l, ok := e.(jinja.Lit)
	if !ok {
		return false
	}
	_, f := l.Val.(float64)
	return f
}

// filters maps Jinja filters to sprig functions taking the filtered value last.
var filters = map[string]string{
	"upper": "upper", "lower": "lower", "trim": "trim", "length": "len", "count": "len",
	"join": "join", "default": "default", "d": "default", "replace": "replace", "string": "toString",
	"int": "int", "float": "float64", "first": "first", "last": "last", "unique": "uniq",
	"sort": "sortAlpha", "title": "title", "capitalize": "title", "abs": "abs", "list": "list",
	"as_text": "toString", "as_number": "", "as_bool": "", "as_native": "",
}

func (c *converter) filter(f jinja.Filter) (string, error) {
	fn, ok := filters[f.Name]
	if !ok || len(f.Kw) > 0 {
		return "", unconvertible("the Jinja filter |%s has no dwm form", f.Name)
	}
	if fn == "" { // dbt's as_number and friends: the value is already what it says
		return c.command(f.X)
	}
	x, err := c.operand(f.X)
	if err != nil {
		return "", err
	}
	if fn == "abs" {
		return "", unconvertible("the Jinja filter |abs has no dwm form")
	}
	parts := []string{fn}
	for _, a := range f.Args {
		s, err := c.operand(a)
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	if fn == "join" && len(f.Args) == 0 {
		parts = append(parts, `""`)
	}
	return strings.Join(append(parts, x), " "), nil
}

// walkExpr calls fn on e and every expression inside it.
func walkExpr(e jinja.Expr, fn func(jinja.Expr)) {
	if e == nil {
		return
	}
	fn(e)
	switch e := e.(type) {
	case jinja.Attr:
		walkExpr(e.X, fn)
	case jinja.Index:
		walkExpr(e.X, fn)
		walkExpr(e.Key, fn)
	case jinja.Call:
		walkExpr(e.Fn, fn)
		for _, a := range e.Args {
			walkExpr(a, fn)
		}
		for _, k := range e.Kw {
			walkExpr(k.Val, fn)
		}
	case jinja.Filter:
		walkExpr(e.X, fn)
		for _, a := range e.Args {
			walkExpr(a, fn)
		}
	case jinja.Binary:
		walkExpr(e.L, fn)
		walkExpr(e.R, fn)
	case jinja.Unary:
		walkExpr(e.X, fn)
	case jinja.Test:
		walkExpr(e.X, fn)
	case jinja.List:
		for _, x := range e.Elems {
			walkExpr(x, fn)
		}
	case jinja.Dict:
		for i := range e.Keys {
			walkExpr(e.Keys[i], fn)
			walkExpr(e.Vals[i], fn)
		}
	case jinja.Cond:
		walkExpr(e.Then, fn)
		walkExpr(e.Cond, fn)
		walkExpr(e.Else, fn)
	}
}
