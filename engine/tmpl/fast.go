package tmpl

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Most SQL templates use a small part of text/template: text, {{ ref "x" }}, {{ config ... }},
// {{ macro "m" args }}, {{ if is_incremental }}, and macros that print {{ index .Args 0 }}.
// text/template executes those through reflection (reflect.Value.Call per function, a new
// state and a map per macro call), which made rendering the largest cost of `dwm compile` on
// 10,000 models. A template in that subset is rendered here, directly, from its fast tree
// (ast.go). The output is the same bytes text/template would write (TestFastMatchesTextTemplate
// renders both ways); anything outside the subset is rendered by text/template, and so is any
// render that fails or meets a value the subset does not print, so errors keep their exact text.

// errSlow abandons a fast render: the caller renders again with text/template.
var errSlow = errors.New("tmpl: not on the fast path")

// fastRender is one render on the fast path: the executor (for its macros and Env) and the
// arguments of the macro being rendered, nil outside macros.
type fastRender struct {
	x    *executor
	args []any
}

func (f *fastRender) list(b *strings.Builder, nodes []anode) error {
	for i := range nodes {
		n := &nodes[i]
		switch {
		case n.cmd != nil:
			v, err := f.eval(n.cmd)
			if err != nil {
				return err
			}
			if err := printValue(b, v); err != nil {
				return err
			}
		case n.ifn != nil:
			v, err := f.eval(n.ifn.cond)
			if err != nil {
				return err
			}
			truth, ok := v.(bool)
			if s, isStr := v.(string); isStr {
				truth, ok = s != "", true
			}
			if !ok {
				return errSlow
			}
			branch := n.ifn.els
			if truth {
				branch = n.ifn.then
			}
			if err := f.list(b, branch); err != nil {
				return err
			}
		default:
			b.WriteString(n.text)
		}
	}
	return nil
}

// printValue writes a value as text/template does (fmt.Fprint) for the kinds it meets here.
func printValue(b *strings.Builder, v any) error {
	switch v := v.(type) {
	case string:
		b.WriteString(v)
	case bool, int, int64, float64:
		fmt.Fprint(b, v)
	default:
		return errSlow // nil prints "<no value>", and other kinds have their own rules
	}
	return nil
}

func (f *fastRender) eval(c *acmd) (any, error) {
	r := f.x.cur
	switch c.fn {
	case "":
		return f.args, nil // .Args
	case "config":
		return "", nil // config takes literals only (extract checks), so nothing can fail
	case "this", "is_incremental", "project_dir":
		return f.niladic(c.fn)
	case "index":
		i := int(c.args[1].i)
		if i < 0 || i >= len(f.args) {
			return nil, errSlow
		}
		return f.args[i], nil
	}
	vals, err := f.values(c.args)
	if err != nil {
		return nil, err
	}
	switch c.fn {
	case "ref":
		if len(vals) < 1 || len(vals) > 2 || !allStrings(vals) {
			return nil, errSlow
		}
		return r.ref(vals[0].(string))
	case "batch_ref":
		if len(vals) != 1 || !allStrings(vals) {
			return nil, errSlow
		}
		return r.batchRef(vals[0].(string))
	case "source":
		if len(vals) != 2 || !allStrings(vals) {
			return nil, errSlow
		}
		return r.source(vals[0].(string), vals[1].(string))
	case "var":
		if len(vals) < 1 || !allStrings(vals[:1]) {
			return nil, errSlow
		}
		return r.variable(vals[0].(string), vals[1:])
	case "env_var":
		if len(vals) < 1 || !allStrings(vals[:1]) {
			return nil, errSlow
		}
		return r.envVar(vals[0].(string), vals[1:])
	case "not":
		if len(vals) != 1 {
			return nil, errSlow
		}
		switch v := vals[0].(type) {
		case bool:
			return !v, nil
		case string:
			return v == "", nil
		}
		return nil, errSlow
	case "macro":
		if len(vals) < 1 || !allStrings(vals[:1]) {
			return nil, errSlow
		}
		return f.macro(vals[0].(string), vals[1:])
	}
	return nil, errSlow // list outside config
}

func (f *fastRender) niladic(name string) (any, error) {
	r := f.x.cur
	switch name {
	case "this":
		return r.this()
	case "is_incremental":
		return r.env.IsIncremental, nil
	default:
		return r.env.ProjectDir, nil
	}
}

// values evaluates a command's arguments as text/template passes them to an `any` parameter:
// integers as int, decimals as float64.
func (f *fastRender) values(args []aarg) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		switch a.kind {
		case argString:
			out[i] = a.s
		case argBool:
			out[i] = a.b
		case argInt:
			out[i] = int(a.i)
		case argFloat:
			out[i] = a.f
		case argPipe:
			v, err := f.eval(a.cmd)
			if err != nil {
				return nil, err
			}
			if v == nil {
				return nil, errSlow
			}
			out[i] = v
		case argNiladic:
			v, err := f.niladic(a.s)
			if err != nil {
				return nil, err
			}
			out[i] = v
		default:
			out[i] = f.args // .Args
		}
	}
	return out, nil
}

// macro renders a macro call: on the fast path when the macro's body allows, else through the
// executor's text/template set, as before.
func (f *fastRender) macro(name string, args []any) (string, error) {
	m := f.x.m
	if !m.Has(name) {
		return "", errSlow // the slow render reports the unknown macro
	}
	body, fast := m.fast[name]
	sig := m.sigs[name]
	if !fast || sig.params != nil || slices.ContainsFunc(args, func(a any) bool { _, named := a.(Named); return named }) {
		return f.x.callMacro(name, args) // parameters are bound by the executor
	}
	if sig.arity >= 0 && len(args) > sig.arity {
		return "", errSlow // the slow render reports the extra arguments
	}
	r := f.x.cur
	if r.depth >= maxMacroDepth {
		return "", errSlow
	}
	r.depth++
	defer func() { r.depth-- }()
	var b strings.Builder
	inner := fastRender{x: f.x, args: args}
	if err := inner.list(&b, body); err != nil {
		return "", err
	}
	return b.String(), nil
}

// renderFast renders tp on the fast path; errSlow or any error means: render with text/template.
func (x *executor) renderFast(tp *Template, env *Env) (string, error) {
	x.cur = &render{env: env}
	defer func() { x.cur = nil }()
	var b strings.Builder
	b.Grow(len(tp.text) + len(tp.text)/2)
	f := fastRender{x: x}
	if err := f.list(&b, tp.body); err != nil {
		return "", err
	}
	return b.String(), nil
}
