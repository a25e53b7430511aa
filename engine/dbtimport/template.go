package dbtimport

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/dbtimport/jinja"
)

// Problem is a construct the importer could not convert. It stays in the output as written.
type Problem struct {
	File   string
	Line   int
	Col    int
	What   string // the construct, as written (shortened)
	Reason string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s: %s", p.File, p.Line, p.Col, p.What, p.Reason)
}

// Macro is a dbt macro or generic test as the importer knows it: enough to turn calls with
// keyword arguments and defaults into dwm's positional `macro` calls.
type Macro struct {
	Name   string
	Params []jinja.Param
	Test   bool // {% test %}: dwm passes its arguments by name in the dot
}

// scope maps Jinja names to Go template operands ("$x" or ".x").
type scope map[string]string

// loopInfo is one enclosing {% for %}: the Go variable holding the index and the iterated list.
type loopInfo struct {
	index string
	items string
}

// converter turns one file's Jinja tree into Go template text.
type converter struct {
	file     string
	src      string
	macros   map[string]*Macro
	project  string // the dbt project's name, which may prefix its own macros
	out      strings.Builder
	problems []Problem
	scopes   []scope
	loops    []*loopInfo
	yaml     bool // converting a YAML string value: doc() is allowed
	keys     keySet
	notes    []string
}

// convert parses and converts the whole source. A Jinja syntax error is returned as is.
func (c *converter) convert() (string, error) {
	nodes, err := jinja.Parse(c.src)
	if err != nil {
		return "", err
	}
	if len(c.scopes) == 0 {
		c.push()
	}
	c.nodes(nodes)
	return c.out.String(), nil
}

func (c *converter) note(s string) { c.notes = append(c.notes, s) }

// errUnconvertible carries the reason a construct stays as written.
type errUnconvertible struct{ reason string }

func (e *errUnconvertible) Error() string { return e.reason }

func unconvertible(format string, a ...any) error {
	return &errUnconvertible{reason: fmt.Sprintf(format, a...)}
}

func (c *converter) problem(pos jinja.Pos, start, end int, reason string) {
	what := c.src[start:end]
	if i := strings.IndexByte(what, '\n'); i >= 0 {
		what = what[:i] + " ..."
	}
	if len(what) > 80 {
		what = what[:77] + "..."
	}
	c.problems = append(c.problems, Problem{File: c.file, Line: pos.Line, Col: pos.Col, What: what, Reason: reason})
}

// keep writes a construct as written and reports it.
func (c *converter) keep(t jinja.Tag, err error) {
	c.problem(t.Pos, t.Start, t.End, err.Error())
	c.out.WriteString(c.src[t.Start:t.End])
}

// action writes a Go template action with the Jinja tag's whitespace control.
func (c *converter) action(t jinja.Tag, inner string) {
	c.out.WriteString(goAction(t.TrimLeft, t.TrimRight, inner))
}

func goAction(trimL, trimR bool, inner string) string {
	l, r := "{{ ", " }}"
	if trimL {
		l = "{{- "
	}
	if trimR {
		r = " -}}"
	}
	return l + inner + r
}

func (c *converter) lookup(name string) (string, bool) {
	for i := len(c.scopes) - 1; i >= 0; i-- {
		if v, ok := c.scopes[i][name]; ok {
			return v, true
		}
	}
	return "", false
}

func (c *converter) push() scope {
	s := scope{}
	c.scopes = append(c.scopes, s)
	return s
}

func (c *converter) pop() { c.scopes = c.scopes[:len(c.scopes)-1] }

// goVar returns a Go variable name for a Jinja one that no enclosing scope already uses.
func (c *converter) goVar(name string) string {
	v := "$" + name
	taken := func(v string) bool {
		for _, s := range c.scopes {
			for _, g := range s {
				if g == v {
					return true
				}
			}
		}
		return false
	}
	for i := 2; taken(v); i++ {
		v = fmt.Sprintf("$%s%d", name, i)
	}
	return v
}

func (c *converter) nodes(ns []jinja.Node) {
	for _, n := range ns {
		c.node(n)
	}
}

func (c *converter) node(n jinja.Node) {
	switch n := n.(type) {
	case *jinja.TextNode:
		c.out.WriteString(n.Text)
	case *jinja.CommentNode:
		c.out.WriteString(commentForm(jinja.Segment{Body: n.Text, TrimLeft: n.TrimLeft, TrimRight: n.TrimRight}))
	case *jinja.OutputNode:
		if n.Err != nil {
			c.keep(n.Tag, unconvertible("expression does not parse: %v", n.Err))
			return
		}
		s, err := c.command(n.X)
		if err != nil {
			c.keep(n.Tag, err)
			return
		}
		// SQL a dbt macro expands to (dbt_utils, cross-database macros) is written as plain text.
		if text, err := strconv.Unquote(s); err == nil && strings.HasPrefix(s, `"`) && !n.TrimLeft && !n.TrimRight {
			c.out.WriteString(text)
			return
		}
		c.action(n.Tag, s)
	case *jinja.IfNode:
		c.ifNode(n)
	case *jinja.ForNode:
		c.forNode(n)
	case *jinja.SetNode:
		c.setNode(n)
	case *jinja.BlockNode:
		c.block(n)
	case *jinja.OtherNode:
		c.keep(n.Tag, unconvertible("{%% %s %%} has no dwm equivalent%s", n.Keyword, otherHint(n.Keyword)))
	}
}

func otherHint(kw string) string {
	switch kw {
	case "do":
		return " (dwm templates render SQL; they do not run statements)"
	case "include", "import", "from", "extends":
		return " (call macros with {{ macro \"name\" ... }} instead)"
	}
	return ""
}

func (c *converter) ifNode(n *jinja.IfNode) {
	conds := make([]string, len(n.Branches))
	for i, b := range n.Branches {
		s, err := c.command(b.Cond)
		if err != nil {
			c.keep(n.Tag, err)
			return
		}
		conds[i] = s
	}
	// Jinja's if opens no scope but Go's does: a name first set inside a branch and used after the
	// if is declared before it.
	for _, name := range setInBranches(n) {
		if _, ok := c.lookup(name); !ok {
			v := c.goVar(name)
			c.scopes[len(c.scopes)-1][name] = v
			c.out.WriteString(goAction(false, false, v+` := ""`))
		}
	}
	for i, b := range n.Branches {
		if i == 0 {
			c.action(b.Head, "if "+conds[i])
		} else {
			c.action(b.Head, "else if "+conds[i])
		}
		c.nodes(b.Body)
	}
	if n.ElseTag != nil {
		c.action(*n.ElseTag, "else")
		c.nodes(n.Else)
	}
	c.action(n.EndTag, "end")
}

// setInBranches lists the names assigned in an if's branches, outside nested loops and blocks.
func setInBranches(n *jinja.IfNode) []string {
	var out []string
	var walk func([]jinja.Node)
	walk = func(ns []jinja.Node) {
		for _, x := range ns {
			switch x := x.(type) {
			case *jinja.SetNode:
				out = append(out, x.Names...)
			case *jinja.IfNode:
				for _, b := range x.Branches {
					walk(b.Body)
				}
				walk(x.Else)
			}
		}
	}
	for _, b := range n.Branches {
		walk(b.Body)
	}
	walk(n.Else)
	return out
}

func (c *converter) forNode(n *jinja.ForNode) {
	iter, err := c.operand(n.Iter)
	if err != nil {
		c.keep(n.Tag, err)
		return
	}
	items := false // for k, v in d.items()
	if call, ok := n.Iter.(jinja.Call); ok {
		if a, ok := call.Fn.(jinja.Attr); ok && a.Name == "items" && len(call.Args) == 0 {
			if iter, err = c.operand(a.X); err != nil {
				c.keep(n.Tag, err)
				return
			}
			items = true
		}
	}
	if len(n.Vars) > 2 || len(n.Vars) == 2 && !items || items && len(n.Vars) != 2 {
		c.keep(n.Tag, unconvertible("only `for x in list` and `for k, v in dict.items()` have a dwm form"))
		return
	}
	usesLoop := mentionsLoop(n.Body)
	s := c.push()
	defer c.pop()
	info := &loopInfo{items: iter}
	var head, prelude string
	switch {
	case items && usesLoop:
		// Go ranges over a map in key order with no index: range over the sorted keys instead.
		keys := c.goVar(n.Vars[0] + "_keys")
		s["\x00"+keys] = keys
		idx := c.goVar("i")
		s["\x00"+idx] = idx
		k, v := c.goVar(n.Vars[0]), c.goVar(n.Vars[1])
		s[n.Vars[0]], s[n.Vars[1]] = k, v
		c.out.WriteString(goAction(n.Head.TrimLeft, false, fmt.Sprintf("%s := keys %s | sortAlpha", keys, iter)))
		head = fmt.Sprintf("range %s, %s := %s", idx, k, keys)
		prelude = fmt.Sprintf("%s := index %s %s", v, iter, k)
		info.index, info.items = idx, keys
	case items:
		k, v := c.goVar(n.Vars[0]), c.goVar(n.Vars[1])
		s[n.Vars[0]], s[n.Vars[1]] = k, v
		head = fmt.Sprintf("range %s, %s := %s", k, v, iter)
	case usesLoop:
		if !isVariable(iter) {
			// loop.last needs the list's length: name the list once.
			l := c.goVar(n.Vars[0] + "_list")
			s["\x00"+l] = l
			c.out.WriteString(goAction(n.Head.TrimLeft, false, l+" := "+strings.TrimSuffix(strings.TrimPrefix(iter, "("), ")")))
			info.items = l
		}
		idx := c.goVar("i")
		s["\x00"+idx] = idx
		v := c.goVar(n.Vars[0])
		s[n.Vars[0]] = v
		head = fmt.Sprintf("range %s, %s := %s", idx, v, info.items)
		info.index = idx
	default:
		v := c.goVar(n.Vars[0])
		s[n.Vars[0]] = v
		head = fmt.Sprintf("range %s := %s", v, iter)
	}
	c.loops = append(c.loops, info)
	defer func() { c.loops = c.loops[:len(c.loops)-1] }()
	if prelude != "" {
		trimR := n.Head.TrimRight
		h := n.Head
		h.TrimRight = false
		c.action(h, head)
		c.out.WriteString(goAction(false, trimR, prelude))
	} else {
		c.action(n.Head, head)
	}
	c.nodes(n.Body)
	if n.ElseTag != nil {
		c.action(*n.ElseTag, "else")
		c.nodes(n.Else)
	}
	c.action(n.EndTag, "end")
}

func isVariable(s string) bool {
	return (strings.HasPrefix(s, "$") || strings.HasPrefix(s, ".")) && !strings.ContainsAny(s, " ()")
}

// mentionsLoop reports whether a loop body reads Jinja's loop variable (outside nested loops).
func mentionsLoop(ns []jinja.Node) bool {
	found := false
	var walk func([]jinja.Node)
	walk = func(ns []jinja.Node) {
		for _, n := range ns {
			switch n := n.(type) {
			case *jinja.OutputNode:
				found = found || exprMentions(n.X, "loop")
			case *jinja.SetNode:
				found = found || exprMentions(n.X, "loop")
			case *jinja.IfNode:
				for _, b := range n.Branches {
					found = found || exprMentions(b.Cond, "loop")
					walk(b.Body)
				}
				walk(n.Else)
			}
		}
	}
	walk(ns)
	return found
}

func exprMentions(e jinja.Expr, name string) bool {
	found := false
	walkExpr(e, func(x jinja.Expr) {
		if n, ok := x.(jinja.Name); ok && n.Name == name {
			found = true
		}
	})
	return found
}

func (c *converter) setNode(n *jinja.SetNode) {
	if len(n.Names) != 1 {
		c.keep(n.Tag, unconvertible("assigning several names at once has no dwm form"))
		return
	}
	val, err := c.command(n.X)
	if err != nil {
		c.keep(n.Tag, err)
		return
	}
	name := n.Names[0]
	cur := c.scopes[len(c.scopes)-1]
	if v, ok := cur[name]; ok {
		c.action(n.Tag, v+" = "+val)
		return
	}
	v := c.goVar(name)
	cur[name] = v
	c.action(n.Tag, v+" := "+val)
}

func (c *converter) block(n *jinja.BlockNode) {
	switch n.Kind {
	case "macro", "test":
		c.macroDef(n)
	case "docs":
		c.action(n.Head, fmt.Sprintf("define %q", n.Name))
		c.nodes(n.Body)
		c.action(n.EndTag, "end")
	case "raw":
		c.out.WriteString(n.Body[0].(*jinja.TextNode).Text)
	case "set":
		c.keep(n.Tag, unconvertible("{%% set %s %%}...{%% endset %%} captures rendered text, which Go templates cannot; define a macro instead", n.Name))
	case "materialization":
		c.keep(n.Tag, unconvertible("custom materializations are Go code in dwm (engine/materialize), not templates"))
	case "call":
		c.keep(n.Tag, unconvertible("{%% call %%} blocks run statements or pass caller() bodies; dwm templates only render SQL"))
	default:
		c.keep(n.Tag, unconvertible("{%% %s %%} blocks have no dwm equivalent", n.Kind))
	}
}

// macroDef writes {% macro name(a, b=1) %} as a define block whose first actions bind the
// arguments: positional for macros ({{ macro "name" a b }}), by name for generic tests.
func (c *converter) macroDef(n *jinja.BlockNode) {
	s := c.push()
	defer c.pop()
	var prelude []string
	for i, p := range n.Params {
		switch {
		case n.Kind == "test" && (p.Name == "model" || p.Name == "column_name"):
			s[p.Name] = "." + p.Name
			continue
		case n.Kind == "test":
			v := c.goVar(p.Name)
			s[p.Name] = v
			if p.Default == nil {
				prelude = append(prelude, fmt.Sprintf("%s := .%s", v, p.Name))
				continue
			}
			def, err := c.command(p.Default)
			if err != nil {
				c.keep(n.Tag, err)
				return
			}
			prelude = append(prelude, fmt.Sprintf("%s := %s", v, def), fmt.Sprintf("if hasKey . %q", p.Name), fmt.Sprintf("%s = .%s", v, p.Name), "end")
		default:
			v := c.goVar(p.Name)
			s[p.Name] = v
			if p.Default == nil {
				prelude = append(prelude, fmt.Sprintf("%s := index .Args %d", v, i))
				continue
			}
			def, err := c.command(p.Default)
			if err != nil {
				c.keep(n.Tag, err)
				return
			}
			prelude = append(prelude, fmt.Sprintf("%s := %s", v, def), fmt.Sprintf("if gt (len .Args) %d", i), fmt.Sprintf("%s = index .Args %d", v, i), "end")
		}
	}
	// The head's right trim moves to the last binding, so the body starts where Jinja's does.
	head := n.Head
	trimR := head.TrimRight
	head.TrimRight = trimR && len(prelude) == 0
	c.action(head, fmt.Sprintf("define %q", n.Name))
	for i, p := range prelude {
		c.out.WriteString(goAction(false, trimR && i == len(prelude)-1, p))
	}
	c.nodes(n.Body)
	c.action(n.EndTag, "end")
}

// Convert converts one template's text. macros are the project's macros and generic tests
// (for calls with keyword arguments); project is the dbt project's name, which may prefix its
// own macro calls. A Jinja syntax error is returned as an error.
func Convert(file, src string, macros map[string]*Macro, project string) (string, []Problem, error) {
	c := &converter{file: file, src: src, macros: macros, project: project}
	out, err := c.convert()
	return out, c.problems, err
}

// Macros lists the macro and generic test definitions in a template's text.
func Macros(src string) map[string]*Macro {
	out := map[string]*Macro{}
	nodes, err := jinja.Parse(src)
	if err != nil {
		return out
	}
	for _, n := range nodes {
		if bn, ok := n.(*jinja.BlockNode); ok && (bn.Kind == "macro" || bn.Kind == "test") {
			out[bn.Name] = &Macro{Name: bn.Name, Params: bn.Params, Test: bn.Kind == "test"}
		}
	}
	return out
}
