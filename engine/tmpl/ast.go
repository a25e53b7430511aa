package tmpl

import (
	"strconv"
	"strings"
	"text/template/parse"
)

// The fast path's own tree. Templates in the subset fast.go renders are parsed straight into it
// by quickParse, several times faster than text/template/parse (parsing was the largest cost of
// `dwm ls` on 10,000 models); text/template's tree is then only built if a render needs it.
// Macros (few) are parsed by text/template and translated (fromTree).

// anode is text, an action ({{ cmd }}) or an if. Templates have tens of thousands of them, so
// the rarer if keeps its branches behind a pointer.
type anode struct {
	text string
	cmd  *acmd
	ifn  *aif
}

// aif is {{ if cond }} then {{ else }} els {{ end }}.
type aif struct {
	cond      *acmd
	then, els []anode
}

// acmd calls fn with args; fn "" is .Args, the arguments of the macro being rendered.
type acmd struct {
	fn   string
	pos  int // byte offset of fn in the file, for positions in Static
	args []aarg
}

type argKind uint8

const (
	argString  argKind = iota
	argInt             // an integer constant: int when passed, int64 in Static
	argFloat           // a decimal constant: float64 when passed; Static has int64 when integral
	argBool            // true or false
	argPipe            // (cmd)
	argNiladic         // a function called without arguments: this, is_incremental, project_dir
	argArgs            // .Args
)

type aarg struct {
	kind argKind
	s    string // string value, or the niladic function's name
	i    int64
	f    float64
	b    bool
	cmd  *acmd
}

// literal is the value extract records for a literal argument (static.go's literal).
func (a aarg) literal() (any, bool) {
	switch a.kind {
	case argString:
		return a.s, true
	case argBool:
		return a.b, true
	case argInt:
		return a.i, true
	case argFloat:
		if float64(int64(a.f)) == a.f {
			return int64(a.f), true
		}
		return a.f, true
	case argPipe:
		if a.cmd.fn != "list" {
			return nil, false
		}
		out := []any{}
		for _, x := range a.cmd.args {
			v, ok := x.literal()
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	}
	return nil, false
}

// fastFuncs are the functions the fast path calls; list only as a literal inside config.
var fastFuncs = map[string]bool{"ref": true, "batch_ref": true, "source": true, "config": true, "var": true, "env_var": true,
	"this": true, "is_incremental": true, "project_dir": true, "macro": true, "index": true, "not": true, "list": true}

// niladic are the fast functions that take no arguments, so they may be an argument themselves.
var niladic = map[string]bool{"this": true, "is_incremental": true, "project_dir": true}

// validCmd checks what the fast renderer assumes of a command: index only as index .Args N,
// list only inside config (whose arguments are never evaluated), .Args only in a macro.
func validCmd(c *acmd, inMacro, inConfig bool) bool {
	switch c.fn {
	case "":
		return inMacro && len(c.args) == 0
	case "index":
		return len(c.args) == 2 && c.args[0].kind == argArgs && inMacro && c.args[1].kind == argInt
	case "list":
		if !inConfig {
			return false
		}
	}
	for _, a := range c.args {
		switch a.kind {
		case argArgs:
			if !inMacro {
				return false
			}
		case argNiladic:
			if !niladic[a.s] {
				return false
			}
		case argPipe:
			if !validCmd(a.cmd, inMacro, inConfig || c.fn == "config") {
				return false
			}
		}
	}
	return true
}

// validNodes applies validCmd to every command of a fast tree.
func validNodes(nodes []anode, inMacro bool) bool {
	for _, n := range nodes {
		switch {
		case n.cmd != nil:
			if !validCmd(n.cmd, inMacro, false) {
				return false
			}
		case n.ifn != nil:
			if !validCmd(n.ifn.cond, inMacro, false) || !validNodes(n.ifn.then, inMacro) || !validNodes(n.ifn.els, inMacro) {
				return false
			}
		}
	}
	return true
}

// fromTree translates a text/template tree into the fast path's, or reports that it uses more
// than the subset.
func fromTree(t *parse.Tree, inMacro bool) ([]anode, bool) {
	if t == nil {
		return nil, false
	}
	return fromList(t.Root, inMacro)
}

func fromList(l *parse.ListNode, inMacro bool) ([]anode, bool) {
	if l == nil {
		return nil, true
	}
	out := make([]anode, 0, len(l.Nodes))
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			out = append(out, anode{text: string(n.Text)})
		case *parse.CommentNode:
		case *parse.ActionNode:
			c, ok := fromPipe(n.Pipe, inMacro)
			if !ok {
				return nil, false
			}
			out = append(out, anode{cmd: c})
		case *parse.IfNode:
			c, ok := fromPipe(n.Pipe, inMacro)
			then, ok2 := fromList(n.List, inMacro)
			els, ok3 := fromList(n.ElseList, inMacro)
			if !ok || !ok2 || !ok3 {
				return nil, false
			}
			out = append(out, anode{ifn: &aif{cond: c, then: then, els: els}})
		default:
			return nil, false // range, with, template, variables, break/continue
		}
	}
	return out, true
}

func fromPipe(p *parse.PipeNode, inMacro bool) (*acmd, bool) {
	if p == nil || len(p.Decl) > 0 || p.IsAssign || len(p.Cmds) != 1 {
		return nil, false
	}
	c, ok := fromCmd(p.Cmds[0])
	return c, ok && validCmd(c, inMacro, false)
}

func fromCmd(cmd *parse.CommandNode) (*acmd, bool) {
	c := &acmd{}
	args := cmd.Args
	switch first := args[0].(type) {
	case *parse.IdentifierNode:
		if !fastFuncs[first.Ident] {
			return nil, false
		}
		c.fn, c.pos = first.Ident, int(first.Pos)
		args = args[1:]
	case *parse.FieldNode:
		if len(args) != 1 || len(first.Ident) != 1 || first.Ident[0] != "Args" {
			return nil, false
		}
		return c, true
	default:
		return nil, false
	}
	for _, a := range args {
		var x aarg
		switch a := a.(type) {
		case *parse.StringNode:
			x = aarg{kind: argString, s: a.Text}
		case *parse.BoolNode:
			x = aarg{kind: argBool, b: a.True}
		case *parse.NumberNode:
			var ok bool
			if x, ok = number(a.Text); !ok {
				return nil, false
			}
		case *parse.IdentifierNode:
			x = aarg{kind: argNiladic, s: a.Ident}
		case *parse.FieldNode:
			if len(a.Ident) != 1 || a.Ident[0] != "Args" {
				return nil, false
			}
			x = aarg{kind: argArgs}
		case *parse.PipeNode:
			if len(a.Decl) > 0 || a.IsAssign || len(a.Cmds) != 1 {
				return nil, false
			}
			sub, ok := fromCmd(a.Cmds[0])
			if !ok || sub.fn == "" {
				return nil, false
			}
			x = aarg{kind: argPipe, cmd: sub}
		default:
			return nil, false
		}
		c.args = append(c.args, x)
	}
	return c, true
}

// number reads the constants the fast path takes: decimal integers without leading zeros (which
// text/template would read as octal) and plain decimals; anything else keeps text/template's rules.
func number(text string) (aarg, bool) {
	digits := strings.TrimPrefix(text, "-")
	whole, frac, isFloat := strings.Cut(digits, ".")
	if whole == "" || !allDigits(whole) || (len(whole) > 1 && whole[0] == '0') || (isFloat && (frac == "" || !allDigits(frac))) {
		return aarg{}, false
	}
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		return aarg{kind: argFloat, f: f}, err == nil
	}
	i, err := strconv.ParseInt(text, 10, 64)
	return aarg{kind: argInt, i: i}, err == nil && int64(int(i)) == i
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// staticOf extracts the static declarations of nodes as extract does from text/template's
// tree, in the same order. It reports false when extract would report an error (so the caller
// parses with text/template, which gives it).
func staticOf(nodes []anode, file string, lines *lineIndex, st *Static) bool {
	for _, n := range nodes {
		switch {
		case n.cmd != nil:
			if !staticCmd(n.cmd, file, lines, st) {
				return false
			}
		case n.ifn != nil:
			if !staticCmd(n.ifn.cond, file, lines, st) || !staticOf(n.ifn.then, file, lines, st) || !staticOf(n.ifn.els, file, lines, st) {
				return false
			}
		}
	}
	return true
}

func staticCmd(c *acmd, file string, lines *lineIndex, st *Static) bool {
	if staticFuncs[c.fn] {
		line, col := lines.position(c.pos)
		call := Call{File: file, Func: c.fn, Line: line, Col: col}
		for i, a := range c.args {
			v, ok := a.literal()
			if !ok {
				if c.fn == "macro" && i > 0 {
					continue
				}
				return false
			}
			call.Args = append(call.Args, v)
		}
		if checkCall(&call) != "" {
			return false
		}
		st.add(call)
	}
	for _, a := range c.args {
		if a.kind == argPipe && !staticCmd(a.cmd, file, lines, st) {
			return false
		}
	}
	return true
}
