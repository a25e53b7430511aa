package dbtimport

import (
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/dbtimport/jinja"
)

// call converts a function or method call.
func (c *converter) call(e jinja.Call) (string, error) {
	switch fn := e.Fn.(type) {
	case jinja.Name:
		if _, local := c.lookup(fn.Name); local {
			return "", unconvertible("calling the variable %s has no dwm form", fn.Name)
		}
		return c.builtinCall(fn.Name, e)
	case jinja.Attr:
		if pkg, ok := fn.X.(jinja.Name); ok {
			switch pkg.Name {
			case "dbt_utils":
				return c.dbtUtils(fn.Name, e)
			case "dbt":
				return c.crossDB(fn.Name, e)
			case c.project:
				return c.macroCall(fn.Name, e)
			case "adapter", "exceptions", "modules", "log", "graph", "builtins":
				return "", unconvertible("%s.%s is dbt runtime context that dwm templates do not have", pkg.Name, fn.Name)
			}
		}
		return c.method(fn, e)
	case jinja.Call:
		// adapter.dispatch('name', 'namespace')(args): ClickHouse's implementation, else the default.
		if a, ok := fn.Fn.(jinja.Attr); ok && isName(a.X, "adapter") && a.Name == "dispatch" && len(fn.Args) >= 1 {
			name, ok := stringLit(fn.Args[0])
			if !ok {
				return "", unconvertible("adapter.dispatch needs a literal macro name")
			}
			for _, impl := range []string{"clickhouse__" + name, "default__" + name} {
				if _, ok := c.macros[impl]; ok {
					return c.macroCall(impl, e)
				}
			}
			return "", unconvertible("adapter.dispatch(%q): the project defines neither clickhouse__%s nor default__%s", name, name, name)
		}
	}
	return "", unconvertible("this call has no dwm form")
}

func stringLit(e jinja.Expr) (string, bool) {
	l, ok := e.(jinja.Lit)
	if !ok {
		return "", false
	}
	s, ok := l.Val.(string)
	return s, ok
}

// args converts positional arguments to operands.
func (c *converter) args(xs []jinja.Expr) ([]string, error) {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		s, err := c.operand(x)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (c *converter) builtinCall(name string, e jinja.Call) (string, error) {
	switch name {
	case "ref":
		return c.ref(e)
	case "source":
		if len(e.Args) != 2 || len(e.Kw) > 0 {
			return "", unconvertible("source takes a source and a table name")
		}
		src, ok1 := stringLit(e.Args[0])
		tbl, ok2 := stringLit(e.Args[1])
		if !ok1 || !ok2 {
			return "", unconvertible("dwm needs source names as literals, so dependencies are known before rendering")
		}
		return fmt.Sprintf("source %q %q", src, tbl), nil
	case "var", "env_var":
		if len(e.Kw) > 0 || len(e.Args) < 1 || len(e.Args) > 2 {
			return "", unconvertible("%s takes a name and an optional default", name)
		}
		a, err := c.args(e.Args)
		if err != nil {
			return "", err
		}
		return name + " " + strings.Join(a, " "), nil
	case "is_incremental":
		return "is_incremental", nil
	case "config":
		return c.config(e)
	case "doc":
		if !c.yaml {
			return "", unconvertible("doc() belongs in YAML descriptions")
		}
		if len(e.Args) != 1 {
			return "", unconvertible("doc takes one name")
		}
		n, ok := stringLit(e.Args[0])
		if !ok {
			return "", unconvertible("doc needs a literal name")
		}
		return fmt.Sprintf("doc %q", n), nil
	case "range":
		if len(e.Args) != 1 || len(e.Kw) > 0 {
			return "", unconvertible("range with a start or step has no dwm form; use sprig's untilStep")
		}
		a, err := c.args(e.Args)
		if err != nil {
			return "", err
		}
		return "until " + a[0], nil
	case "return":
		// {{ return(adapter.dispatch('m')(x)) }}, the body of every dispatching macro: a macro's
		// result is text, which is what a dwm macro renders.
		if len(e.Args) == 1 && len(e.Kw) == 0 {
			if _, isCall := e.Args[0].(jinja.Call); isCall {
				if s, err := c.command(e.Args[0]); err == nil && strings.HasPrefix(s, "macro ") {
					return s, nil
				}
			}
		}
		return "", unconvertible("return() makes a macro return a value; dwm macros render text, so write the value as the macro's output")
	case "run_query", "statement", "load_result":
		return "", unconvertible("%s runs SQL while rendering; dwm templates are rendered before anything runs", name)
	case "log", "print":
		return "", unconvertible("%s has no dwm form yet (issue 13 adds {{ log }})", name)
	}
	if _, ok := c.macros[name]; ok {
		return c.macroCall(name, e)
	}
	return "", unconvertible("%s is neither a dbt built-in dwm maps nor a macro of this project", name)
}

func (c *converter) ref(e jinja.Call) (string, error) {
	for _, k := range e.Kw {
		return "", unconvertible("ref(..., %s=...): model versions have no dwm form", k.Name)
	}
	if len(e.Args) < 1 || len(e.Args) > 2 {
		return "", unconvertible("ref takes a model name, or a package and a model name")
	}
	name, ok := stringLit(e.Args[len(e.Args)-1])
	if !ok {
		return "", unconvertible("dwm needs ref names as literals, so dependencies are known before rendering")
	}
	// ref('package', 'model'): the imported project is one dwm project, so the package drops out.
	return fmt.Sprintf("ref %q", name), nil
}

// macroCall turns a call with keyword arguments and defaults into dwm's positional call:
// arguments up to the last one given, each skipped one filled with its default.
func (c *converter) macroCall(name string, e jinja.Call) (string, error) {
	m, ok := c.macros[name]
	if !ok {
		return "", unconvertible("macro %s is not defined in this project", name)
	}
	if m.Test {
		return "", unconvertible("%s is a generic test; dwm runs generic tests from YAML only", name)
	}
	if len(e.Args) > len(m.Params) {
		return "", unconvertible("%s takes %d arguments, got %d", name, len(m.Params), len(e.Args))
	}
	given := make([]jinja.Expr, len(m.Params))
	copy(given, e.Args)
	last := len(e.Args) - 1
	for _, k := range e.Kw {
		i := paramIndex(m.Params, k.Name)
		if i < 0 {
			return "", unconvertible("%s has no argument %s", name, k.Name)
		}
		given[i] = k.Val
		if i > last {
			last = i
		}
	}
	parts := []string{"macro", fmt.Sprintf("%q", name)}
	for i := 0; i <= last; i++ {
		x := given[i]
		if x == nil {
			if m.Params[i].Default == nil {
				return "", unconvertible("%s: argument %s is required", name, m.Params[i].Name)
			}
			x = m.Params[i].Default
		}
		s, err := c.operand(x)
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " "), nil
}

func paramIndex(ps []jinja.Param, name string) int {
	for i, p := range ps {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// method converts Python string methods dbt code uses on values.
func (c *converter) method(fn jinja.Attr, e jinja.Call) (string, error) {
	if len(e.Kw) > 0 {
		return "", unconvertible(".%s() with keyword arguments has no dwm form", fn.Name)
	}
	x, err := c.operand(fn.X)
	if err != nil {
		return "", err
	}
	a, err := c.args(e.Args)
	if err != nil {
		return "", err
	}
	switch {
	case (fn.Name == "upper" || fn.Name == "lower") && len(a) == 0:
		return fn.Name + " " + x, nil
	case fn.Name == "strip" && len(a) == 0:
		return "trim " + x, nil
	case fn.Name == "replace" && len(a) == 2:
		return "replace " + a[0] + " " + a[1] + " " + x, nil
	case fn.Name == "split" && len(a) == 1:
		return "splitList " + a[0] + " " + x, nil
	case fn.Name == "join" && len(a) == 1:
		return "join " + x + " " + a[0], nil
	case fn.Name == "startswith" && len(a) == 1:
		return "hasPrefix " + a[0] + " " + x, nil
	case fn.Name == "endswith" && len(a) == 1:
		return "hasSuffix " + a[0] + " " + x, nil
	case fn.Name == "items" && len(a) == 0:
		return strings.TrimSuffix(strings.TrimPrefix(x, "("), ")"), nil
	}
	return "", unconvertible(".%s() has no dwm form", fn.Name)
}
