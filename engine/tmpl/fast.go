package tmpl

import (
	"errors"
	"fmt"
	"strings"
	"text/template/parse"
)

// Most SQL templates use a small part of text/template: text, {{ ref "x" }}, {{ config ... }},
// {{ macro "m" args }}, {{ if is_incremental }}, and macros that print {{ index .Args 0 }}.
// text/template executes those through reflection (reflect.Value.Call per function, a new
// state and a map per macro call), which made rendering the largest cost of `dwm compile` on
// 10,000 models. A tree that uses only that subset is marked at parse time and rendered here,
// directly. The output is the same bytes text/template would write (TestFastMatchesTextTemplate
// renders both ways); anything outside the subset is rendered by text/template, and so is any
// render that fails or meets a value the subset does not print, so errors keep their exact text.

// errSlow abandons a fast render: the caller renders again with text/template.
var errSlow = errors.New("tmpl: not on the fast path")

// fastFuncs are the functions the fast path calls directly.
var fastFuncs = map[string]bool{"ref": true, "source": true, "config": true, "var": true, "env_var": true,
	"this": true, "is_incremental": true, "project_dir": true, "macro": true, "index": true, "not": true}

// niladic are the fast functions that take no arguments, so they may be an argument themselves.
var niladic = map[string]bool{"this": true, "is_incremental": true, "project_dir": true}

// fastTree reports whether a tree uses only what the fast path renders. inMacro allows .Args,
// the arguments a macro is called with.
func fastTree(t *parse.Tree, inMacro bool) bool {
	return t != nil && fastList(t.Root, inMacro)
}

func fastList(l *parse.ListNode, inMacro bool) bool {
	if l == nil {
		return true
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode, *parse.CommentNode:
		case *parse.ActionNode:
			if !fastPipe(n.Pipe, inMacro) {
				return false
			}
		case *parse.IfNode:
			if !fastPipe(n.Pipe, inMacro) || !fastList(n.List, inMacro) || !fastList(n.ElseList, inMacro) {
				return false
			}
		default:
			return false // range, with, template, variables, break/continue
		}
	}
	return true
}

func fastPipe(p *parse.PipeNode, inMacro bool) bool {
	if p == nil || len(p.Decl) > 0 || p.IsAssign || len(p.Cmds) != 1 {
		return false
	}
	args := p.Cmds[0].Args
	id, ok := args[0].(*parse.IdentifierNode)
	if !ok {
		return len(args) == 1 && isArgs(args[0], inMacro) // {{ .Args }}
	}
	if !fastFuncs[id.Ident] {
		return false
	}
	if id.Ident == "config" {
		return true // its arguments are literals (extract checks) and it prints nothing
	}
	if id.Ident == "index" {
		n, ok := args[len(args)-1].(*parse.NumberNode)
		return len(args) == 3 && isArgs(args[1], inMacro) && ok && n.IsInt
	}
	for _, a := range args[1:] {
		switch a := a.(type) {
		case *parse.StringNode, *parse.BoolNode:
		case *parse.NumberNode:
			if !a.IsInt && !(a.IsFloat && strings.ContainsAny(a.Text, ".eE") && !strings.HasPrefix(a.Text, "0x")) {
				return false // hex floats, complex and unsigned overflow keep text/template's rules
			}
		case *parse.PipeNode:
			if !fastPipe(a, inMacro) {
				return false
			}
		case *parse.IdentifierNode: // a function called without arguments
			if !niladic[a.Ident] {
				return false
			}
		default:
			if !isArgs(a, inMacro) {
				return false
			}
		}
	}
	return true
}

func isArgs(n parse.Node, inMacro bool) bool {
	f, ok := n.(*parse.FieldNode)
	return ok && inMacro && len(f.Ident) == 1 && f.Ident[0] == "Args"
}

// fastRender is one render on the fast path: the executor (for its macros and Env) and the
// arguments of the macro being rendered, nil outside macros.
type fastRender struct {
	x    *executor
	args []any
}

func (f *fastRender) list(b *strings.Builder, l *parse.ListNode) error {
	if l == nil {
		return nil
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			b.Write(n.Text)
		case *parse.ActionNode:
			v, err := f.pipe(n.Pipe)
			if err != nil {
				return err
			}
			if err := printValue(b, v); err != nil {
				return err
			}
		case *parse.IfNode:
			v, err := f.pipe(n.Pipe)
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
			branch := n.ElseList
			if truth {
				branch = n.List
			}
			if err := f.list(b, branch); err != nil {
				return err
			}
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

func (f *fastRender) pipe(p *parse.PipeNode) (any, error) {
	args := p.Cmds[0].Args
	id, ok := args[0].(*parse.IdentifierNode)
	if !ok {
		return f.args, nil // .Args
	}
	r := f.x.cur
	switch id.Ident {
	case "config":
		return "", nil // config takes literals only (extract checks), so nothing can fail
	case "this", "is_incremental", "project_dir":
		return f.niladic(id.Ident)
	case "index":
		i := int(args[2].(*parse.NumberNode).Int64)
		if i < 0 || i >= len(f.args) {
			return nil, errSlow
		}
		return f.args[i], nil
	}
	vals, err := f.values(args[1:])
	if err != nil {
		return nil, err
	}
	switch id.Ident {
	case "ref":
		if len(vals) < 1 || len(vals) > 2 || !allStrings(vals) {
			return nil, errSlow
		}
		return r.ref(vals[0].(string))
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
	default: // macro
		if len(vals) < 1 || !allStrings(vals[:1]) {
			return nil, errSlow
		}
		return f.macro(vals[0].(string), vals[1:])
	}
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
// integers as int, floats as float64.
func (f *fastRender) values(args []parse.Node) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		switch a := a.(type) {
		case *parse.StringNode:
			out[i] = a.Text
		case *parse.BoolNode:
			out[i] = a.True
		case *parse.NumberNode:
			if a.IsInt {
				if int64(int(a.Int64)) != a.Int64 {
					return nil, errSlow
				}
				out[i] = int(a.Int64)
			} else {
				out[i] = a.Float64
			}
		case *parse.PipeNode:
			v, err := f.pipe(a)
			if err != nil {
				return nil, err
			}
			if v == nil {
				return nil, errSlow
			}
			out[i] = v
		case *parse.IdentifierNode:
			v, err := f.niladic(a.Ident)
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
	tree, fast := m.trees[name], m.fast[name]
	if tree == nil {
		return "", errSlow // the slow render reports the unknown macro
	}
	if !fast {
		return f.x.callMacro(name, args)
	}
	r := f.x.cur
	if r.depth >= maxMacroDepth {
		return "", errSlow
	}
	r.depth++
	defer func() { r.depth-- }()
	var b strings.Builder
	inner := fastRender{x: f.x, args: args}
	if err := inner.list(&b, tree.Root); err != nil {
		return "", err
	}
	return b.String(), nil
}

// renderFast renders tp on the fast path; errSlow or any error means: render with text/template.
func (x *executor) renderFast(tp *Template, env *Env) (string, error) {
	x.cur = &render{env: env}
	defer func() { x.cur = nil }()
	var b strings.Builder
	f := fastRender{x: x}
	if err := f.list(&b, tp.trees[tp.File].Root); err != nil {
		return "", err
	}
	return b.String(), nil
}
