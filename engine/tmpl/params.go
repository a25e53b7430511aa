package tmpl

import (
	"fmt"
	"sort"
	"strings"
	"text/template/parse"
)

// Param is one declared macro parameter: {{ param "name" }} (required) or
// {{ param "name" default }} at the top of a {{ define }} block.
type Param struct {
	Name       string
	Default    any
	HasDefault bool
}

// Named is an argument passed by name: {{ macro "m" "orders" (arg "days" 14) }}.
type Named struct {
	Name  string
	Value any
}

// signature is what a macro accepts: its declared parameters or, for a macro that declares none,
// how many positional arguments its body can read (-1: any number).
type signature struct {
	params []Param
	arity  int
}

// signatureOf reads a macro's declared parameters; without any, it infers how many arguments the
// body reads. A body that only uses `index .Args N` with literal Ns reads max(N)+1 of them; one
// that uses .Args (or the dot) any other way may read any number.
func signatureOf(file, name string, tree *parse.Tree, text string, st Static) (signature, error) {
	if len(st.Params) > 0 {
		var sig signature
		seen := map[string]bool{}
		for _, c := range st.Params {
			p := Param{Name: c.Args[0].(string)}
			if len(c.Args) == 2 {
				p.Default, p.HasDefault = c.Args[1], true
			} else if len(sig.params) > 0 && sig.params[len(sig.params)-1].HasDefault {
				return sig, &PosError{File: file, Line: c.Line, Col: c.Col, Msg: fmt.Sprintf("macro %q: parameter %q has no default but follows one that has", name, p.Name)}
			}
			if seen[p.Name] || p.Name == "Args" {
				return sig, &PosError{File: file, Line: c.Line, Col: c.Col, Msg: fmt.Sprintf("macro %q: parameter %q is declared twice or reserved", name, p.Name)}
			}
			seen[p.Name] = true
			sig.params = append(sig.params, p)
		}
		sig.arity = len(sig.params)
		return sig, nil
	}
	uses, indexed, max := 0, 0, -1
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			uses++ // {{ template "x" . }} hands the arguments on
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			if i, ok := indexedArg(n); ok {
				indexed++
				max = maxInt(max, i)
			}
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode, *parse.DotNode, *parse.ChainNode:
			uses++
		case *parse.VariableNode:
			if len(n.Ident) > 0 && n.Ident[0] == "$" {
				uses++
			}
		}
	}
	walk(tree.Root)
	if uses > indexed {
		return signature{arity: -1}, nil
	}
	return signature{arity: max + 1}, nil
}

// indexedArg recognises `index .Args N` with a literal N.
func indexedArg(c *parse.CommandNode) (int, bool) {
	if len(c.Args) != 3 {
		return 0, false
	}
	id, ok := c.Args[0].(*parse.IdentifierNode)
	f, ok2 := c.Args[1].(*parse.FieldNode)
	num, ok3 := c.Args[2].(*parse.NumberNode)
	if !ok || !ok2 || !ok3 || id.Ident != "index" || len(f.Ident) != 1 || f.Ident[0] != "Args" || !num.IsInt {
		return 0, false
	}
	return int(num.Int64), true
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// bind matches a call's arguments to a macro's signature and returns the data the body sees:
// .Args (the values in parameter order, or as passed) and each parameter by name.
func (s signature) bind(name string, args []any) (map[string]any, error) {
	var pos []any
	named := map[string]any{}
	var order []string
	for _, a := range args {
		if n, ok := a.(Named); ok {
			if _, dup := named[n.Name]; dup {
				return nil, fmt.Errorf("macro %q: argument %q is passed twice", name, n.Name)
			}
			named[n.Name] = n.Value
			order = append(order, n.Name)
			continue
		}
		if len(named) > 0 {
			return nil, fmt.Errorf("macro %q: a positional argument follows a named one", name)
		}
		pos = append(pos, a)
	}
	if s.params == nil {
		if len(named) > 0 {
			sort.Strings(order)
			return nil, fmt.Errorf("macro %q declares no parameters, so it takes no named arguments (got %s); declare them with {{ param \"name\" }}", name, strings.Join(order, ", "))
		}
		if s.arity >= 0 && len(pos) > s.arity {
			return nil, fmt.Errorf("macro %q takes %d argument%s (its body reads index .Args 0..%d), got %d", name, s.arity, plural(s.arity), s.arity-1, len(pos))
		}
		return map[string]any{"Args": pos}, nil
	}
	names := make([]string, len(s.params))
	for i, p := range s.params {
		names[i] = p.Name
	}
	if len(pos) > len(s.params) {
		return nil, fmt.Errorf("macro %q takes %d argument%s (%s), got %d", name, len(s.params), plural(len(s.params)), strings.Join(names, ", "), len(pos))
	}
	data := map[string]any{}
	vals := make([]any, len(s.params))
	for i, p := range s.params {
		v, byName := named[p.Name]
		switch {
		case i < len(pos) && byName:
			return nil, fmt.Errorf("macro %q: argument %q is passed both by position and by name", name, p.Name)
		case i < len(pos):
			v = pos[i]
		case byName:
		case p.HasDefault:
			v = p.Default
		default:
			return nil, fmt.Errorf("macro %q: missing argument %q (parameters: %s)", name, p.Name, strings.Join(names, ", "))
		}
		delete(named, p.Name)
		vals[i] = v
		data[p.Name] = v
	}
	for _, n := range order {
		if _, left := named[n]; left {
			return nil, fmt.Errorf("macro %q has no parameter %q (parameters: %s)", name, n, strings.Join(names, ", "))
		}
	}
	data["Args"] = vals
	return data, nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
