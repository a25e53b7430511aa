// Package tmpl parses and renders dwm's SQL templates (Go text/template plus sprig). Parsing is
// separate from rendering: the parse tree alone tells which models a template refs, which macros
// it calls and which config it sets, so the DAG is known before anything renders (refs inside
// if-branches count, as they would in dbt's static parser).
package tmpl

import (
	"fmt"
	"slices"
	"strconv"
	"text/template/parse"
)

// Call is a call of one of dwm's functions found in a parse tree, with its literal arguments.
type Call struct {
	File string // the file the call is written in (a macro file for calls inside macros)
	Func string
	Args []any // string, int64, float64, bool or []any (from a literal `list` call)
	Line int
	Col  int
}

// Static is what a template declares without being rendered.
type Static struct {
	Refs    []Call // ref "name" and batch_ref "name" (Func tells which)
	Sources []Call // source "src" "table"
	Configs []Call // config "k" "v" ...
	Macros  []Call // macro "name" ...
	Params  []Call // param "name" [default], in a macro's define block
}

// staticFuncs are the functions whose arguments must be literals because the DAG depends on them.
var staticFuncs = map[string]bool{"ref": true, "batch_ref": true, "source": true, "config": true, "macro": true, "param": true}

// PosError is an error at a position in a template file.
type PosError struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (e *PosError) Error() string {
	if e.Col > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// extract walks every node of tree, including both branches of if/with/range and define blocks.
func extract(tree *parse.Tree, file, text string, st *Static) error {
	lines := &lineIndex{text: text}
	var walk func(n parse.Node) error
	walkList := func(l *parse.ListNode) error {
		if l == nil {
			return nil
		}
		for _, c := range l.Nodes {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	walkPipe := func(p *parse.PipeNode) error {
		if p == nil {
			return nil
		}
		for _, cmd := range p.Cmds {
			if err := walk(cmd); err != nil {
				return err
			}
		}
		return nil
	}
	walk = func(n parse.Node) error {
		switch n := n.(type) {
		case *parse.ListNode:
			return walkList(n)
		case *parse.ActionNode:
			return walkPipe(n.Pipe)
		case *parse.PipeNode:
			return walkPipe(n)
		case *parse.IfNode:
			return walkBranch(&n.BranchNode, walkPipe, walkList)
		case *parse.RangeNode:
			return walkBranch(&n.BranchNode, walkPipe, walkList)
		case *parse.WithNode:
			return walkBranch(&n.BranchNode, walkPipe, walkList)
		case *parse.TemplateNode:
			return walkPipe(n.Pipe)
		case *parse.CommandNode:
			if err := command(n, file, lines, st); err != nil {
				return err
			}
			for _, a := range n.Args {
				if p, ok := a.(*parse.PipeNode); ok {
					if err := walkPipe(p); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	return walk(tree.Root)
}

func walkBranch(b *parse.BranchNode, pipe func(*parse.PipeNode) error, list func(*parse.ListNode) error) error {
	if err := pipe(b.Pipe); err != nil {
		return err
	}
	if err := list(b.List); err != nil {
		return err
	}
	return list(b.ElseList)
}

// command records a call of ref/source/config/macro whose arguments are all literals.
func command(c *parse.CommandNode, file string, lines *lineIndex, st *Static) error {
	if len(c.Args) == 0 {
		return nil
	}
	id, ok := c.Args[0].(*parse.IdentifierNode)
	if !ok || !staticFuncs[id.Ident] {
		return nil
	}
	line, col := lines.position(int(id.Pos))
	call := Call{File: file, Func: id.Ident, Line: line, Col: col}
	for i, a := range c.Args[1:] {
		v, ok := literal(a)
		if !ok {
			// macro arguments after the name may be anything; only the name must be literal.
			if id.Ident == "macro" && i > 0 {
				continue
			}
			if id.Ident == "config" && i%2 == 1 {
				return &PosError{File: file, Line: line, Col: col, Msg: fmt.Sprintf("config value for %v must be a literal (a string, number, bool or list of literals)", call.Args[len(call.Args)-1])}
			}
			return &PosError{File: file, Line: line, Col: col, Msg: fmt.Sprintf("the arguments of %s must be literal strings so dependencies are known before rendering; got %s", id.Ident, a)}
		}
		call.Args = append(call.Args, v)
	}
	if msg := checkCall(&call); msg != "" {
		return &PosError{File: file, Line: line, Col: col, Msg: msg}
	}
	st.add(call)
	return nil
}

// checkCall returns what is wrong with the literal arguments of a static call, or "".
func checkCall(call *Call) string {
	switch call.Func {
	case "ref":
		if len(call.Args) < 1 || len(call.Args) > 2 || !allStrings(call.Args) {
			return `ref takes a model or seed name: {{ ref "name" }}`
		}
	case "batch_ref":
		if len(call.Args) != 1 || !allStrings(call.Args) {
			return `batch_ref takes a model name: {{ batch_ref "name" }}`
		}
	case "source":
		if len(call.Args) != 2 || !allStrings(call.Args) {
			return `source takes a source and a table name: {{ source "src" "table" }}`
		}
	case "config":
		if len(call.Args)%2 != 0 {
			return `config takes key/value pairs: {{ config "materialized" "table" }}`
		}
		for i := 0; i < len(call.Args); i += 2 {
			if _, ok := call.Args[i].(string); !ok {
				return fmt.Sprintf("config key %v must be a string", call.Args[i])
			}
		}
	case "macro":
		if len(call.Args) < 1 {
			return `macro takes a macro name: {{ macro "name" args... }}`
		}
		if _, ok := call.Args[0].(string); !ok {
			return "macro name must be a literal string"
		}
	case "param":
		if len(call.Args) < 1 || len(call.Args) > 2 {
			return `param declares a macro parameter: {{ param "name" }} or {{ param "name" default }}`
		}
		if _, ok := call.Args[0].(string); !ok {
			return `param declares a macro parameter: {{ param "name" }} or {{ param "name" default }}`
		}
	}
	return ""
}

// add records a checked call.
func (st *Static) add(call Call) {
	switch call.Func {
	case "ref", "batch_ref":
		st.Refs = append(st.Refs, call)
	case "source":
		st.Sources = append(st.Sources, call)
	case "config":
		st.Configs = append(st.Configs, call)
	case "macro":
		st.Macros = append(st.Macros, call)
	case "param":
		st.Params = append(st.Params, call)
	}
}

func allStrings(a []any) bool {
	for _, v := range a {
		if _, ok := v.(string); !ok {
			return false
		}
	}
	return true
}

// literal returns the value of a literal argument; `(list "a" "b")` counts as a literal list.
func literal(n parse.Node) (any, bool) {
	switch n := n.(type) {
	case *parse.StringNode:
		return n.Text, true
	case *parse.BoolNode:
		return n.True, true
	case *parse.NumberNode:
		if n.IsInt {
			return n.Int64, true
		}
		if n.IsFloat {
			return n.Float64, true
		}
		v, err := strconv.ParseFloat(n.Text, 64)
		return v, err == nil
	case *parse.PipeNode:
		if len(n.Cmds) != 1 || len(n.Decl) > 0 {
			return nil, false
		}
		c := n.Cmds[0]
		if id, ok := c.Args[0].(*parse.IdentifierNode); !ok || id.Ident != "list" {
			return nil, false
		}
		out := []any{}
		for _, a := range c.Args[1:] {
			v, ok := literal(a)
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	}
	return nil, false
}

// lineIndex converts byte offsets of one text into 1-based lines and columns (in bytes). The
// line starts are found once, on the first call: a template has several calls to locate.
type lineIndex struct {
	text   string
	starts []int
}

func (l *lineIndex) position(off int) (line, col int) {
	if l.starts == nil {
		l.starts = append(l.starts, 0)
		for i := 0; i < len(l.text); i++ {
			if l.text[i] == '\n' {
				l.starts = append(l.starts, i+1)
			}
		}
	}
	off = min(max(off, 0), len(l.text))
	line, _ = slices.BinarySearch(l.starts, off+1) // the first start past off
	return line, off - l.starts[line-1] + 1
}
