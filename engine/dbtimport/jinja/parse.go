package jinja

import (
	"fmt"
	"strings"
)

// Node is one node of a template tree.
type Node interface{ span() (int, int) }

// Tag is one {% %} or {{ }} delimiter pair as written: its position and whitespace control.
type Tag struct {
	Pos        Pos
	Start, End int
	TrimLeft   bool
	TrimRight  bool
}

func tagOf(s Segment) Tag {
	return Tag{Pos: s.Pos, Start: s.Start, End: s.End, TrimLeft: s.TrimLeft, TrimRight: s.TrimRight}
}

type (
	// TextNode is literal text.
	TextNode struct {
		Tag
		Text string
	}
	// OutputNode is {{ X }}. Err is set when the expression does not parse.
	OutputNode struct {
		Tag
		X   Expr
		Src string
		Err error
	}
	// CommentNode is {# Text #}.
	CommentNode struct {
		Tag
		Text string
	}
	// IfNode is {% if %}...{% elif %}...{% else %}...{% endif %}.
	IfNode struct {
		Tag               // the whole block's span; Pos is the if tag's
		Branches []Branch // if and elifs
		Else     []Node   // nil without else
		ElseTag  *Tag     // the else tag
		EndTag   Tag      // the endif tag
	}
	// ForNode is {% for Vars in Iter %}Body{% else %}Else{% endfor %}.
	ForNode struct {
		Tag
		Head    Tag
		Vars    []string
		Iter    Expr
		Body    []Node
		Else    []Node
		ElseTag *Tag
		EndTag  Tag
	}
	// SetNode is {% set Names = X %}.
	SetNode struct {
		Tag
		Names []string
		X     Expr
	}
	// BlockNode is a named block: {% macro name(params) %}, {% test name(params) %}, {% docs name %},
	// {% snapshot name %}, or any other paired tag (call, materialization, filter, set-block, ...).
	BlockNode struct {
		Tag
		Head   Tag
		Kind   string // macro, test, docs, snapshot, or the tag's name
		Name   string
		Params []Param
		Args   string // the head's text after the tag name, for kinds the parser does not read
		Body   []Node
		EndTag Tag
	}
	// OtherNode is a statement the parser does not model (do, call without end, include, ...).
	OtherNode struct {
		Tag
		Keyword string
		Body    string
	}
)

// Branch is one condition and its body.
type Branch struct {
	Head Tag
	Cond Expr
	Body []Node
}

// Param is a macro parameter; Default is nil when it has none.
type Param struct {
	Name    string
	Default Expr
}

func (t Tag) span() (int, int) { return t.Start, t.End }

// blockKinds are the paired tags and their end tags.
var blockKinds = map[string]string{
	"macro": "endmacro", "test": "endtest", "docs": "enddocs", "snapshot": "endsnapshot",
	"call": "endcall", "materialization": "endmaterialization", "filter": "endfilter",
	"raw": "endraw", "block": "endblock", "with": "endwith",
}

// Parse parses a template into a tree. Expressions that do not parse are kept in the tree with
// their error, so the importer can report them and keep their source; a broken block structure
// (an endif without if, an unclosed for) is an error.
func Parse(src string) ([]Node, error) {
	segs, err := Lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{segs: segs, src: src}
	nodes, end, err := p.list()
	if err != nil {
		return nil, err
	}
	if end != nil {
		return nil, &Error{Pos: end.Pos, Msg: fmt.Sprintf("unexpected {%% %s %%}", keyword(end.Body))}
	}
	return nodes, nil
}

type parser struct {
	segs []Segment
	i    int
	src  string
}

func keyword(body string) string {
	f := strings.Fields(body)
	if len(f) == 0 {
		return ""
	}
	k := f[0]
	if i := strings.IndexAny(k, "(="); i >= 0 {
		k = k[:i]
	}
	return k
}

func rest(body string) string {
	b := strings.TrimSpace(body)
	return strings.TrimSpace(b[len(keyword(b)):])
}

// list parses nodes until a statement it does not open (elif, else, end...), which it returns.
func (p *parser) list() ([]Node, *Segment, error) {
	var out []Node
	for p.i < len(p.segs) {
		s := p.segs[p.i]
		p.i++
		switch s.Kind {
		case Text:
			out = append(out, &TextNode{Tag: tagOf(s), Text: s.Body})
		case Comment:
			out = append(out, &CommentNode{Tag: tagOf(s), Text: s.Body})
		case Output:
			x, err := ParseExpr(s.Body)
			out = append(out, &OutputNode{Tag: tagOf(s), X: x, Src: strings.TrimSpace(s.Body), Err: err})
		case Stmt:
			kw := keyword(s.Body)
			switch {
			case kw == "if":
				n, err := p.ifNode(s)
				if err != nil {
					return nil, nil, err
				}
				out = append(out, n)
			case kw == "for":
				n, err := p.forNode(s)
				if err != nil {
					return nil, nil, err
				}
				out = append(out, n)
			case kw == "set":
				n, err := p.setNode(s)
				if err != nil {
					return nil, nil, err
				}
				out = append(out, n)
			case blockKinds[kw] != "":
				n, err := p.block(s, kw)
				if err != nil {
					return nil, nil, err
				}
				out = append(out, n)
			case kw == "elif" || kw == "else" || strings.HasPrefix(kw, "end"):
				return out, &s, nil
			default:
				out = append(out, &OtherNode{Tag: tagOf(s), Keyword: kw, Body: strings.TrimSpace(s.Body)})
			}
		}
	}
	return out, nil, nil
}

func (p *parser) ifNode(s Segment) (*IfNode, error) {
	n := &IfNode{Tag: tagOf(s)}
	head := s
	for {
		cond, err := ParseExpr(rest(head.Body))
		if err != nil {
			return nil, &Error{Pos: head.Pos, Msg: fmt.Sprintf("if: %v", err)}
		}
		body, end, err := p.list()
		if err != nil {
			return nil, err
		}
		n.Branches = append(n.Branches, Branch{Head: tagOf(head), Cond: cond, Body: body})
		if end == nil {
			return nil, &Error{Pos: s.Pos, Msg: "{% if %} has no {% endif %}"}
		}
		switch keyword(end.Body) {
		case "elif":
			head = *end
			continue
		case "else":
			t := tagOf(*end)
			n.ElseTag = &t
			els, end2, err := p.list()
			if err != nil {
				return nil, err
			}
			if end2 == nil || keyword(end2.Body) != "endif" {
				return nil, &Error{Pos: s.Pos, Msg: "{% if %} has no {% endif %}"}
			}
			n.Else = els
			if n.Else == nil {
				n.Else = []Node{}
			}
			end = end2
		case "endif":
		default:
			return nil, &Error{Pos: end.Pos, Msg: fmt.Sprintf("unexpected {%% %s %%} in {%% if %%}", keyword(end.Body))}
		}
		n.EndTag = tagOf(*end)
		n.End = end.End
		return n, nil
	}
}

func (p *parser) forNode(s Segment) (*ForNode, error) {
	head := rest(s.Body)
	vars, iter, ok := strings.Cut(head, " in ")
	if !ok {
		return nil, &Error{Pos: s.Pos, Msg: "for: expected 'for x in ...'"}
	}
	n := &ForNode{Tag: tagOf(s), Head: tagOf(s)}
	for _, v := range strings.Split(vars, ",") {
		n.Vars = append(n.Vars, strings.TrimSpace(v))
	}
	x, err := ParseExpr(iter)
	if err != nil {
		return nil, &Error{Pos: s.Pos, Msg: fmt.Sprintf("for: %v", err)}
	}
	n.Iter = x
	body, end, err := p.list()
	if err != nil {
		return nil, err
	}
	n.Body = body
	if end != nil && keyword(end.Body) == "else" {
		t := tagOf(*end)
		n.ElseTag = &t
		if n.Else, end, err = p.list(); err != nil {
			return nil, err
		}
	}
	if end == nil || keyword(end.Body) != "endfor" {
		return nil, &Error{Pos: s.Pos, Msg: "{% for %} has no {% endfor %}"}
	}
	n.EndTag = tagOf(*end)
	n.End = end.End
	return n, nil
}

func (p *parser) setNode(s Segment) (Node, error) {
	head := rest(s.Body)
	lhs, rhs, ok := strings.Cut(head, "=")
	if !ok {
		// {% set x %}...{% endset %}: a captured block.
		body, end, err := p.list()
		if err != nil {
			return nil, err
		}
		if end == nil || keyword(end.Body) != "endset" {
			return nil, &Error{Pos: s.Pos, Msg: "{% set x %} has no {% endset %}"}
		}
		t := tagOf(s)
		t.End = end.End
		return &BlockNode{Tag: t, Head: tagOf(s), Kind: "set", Name: strings.TrimSpace(head), Body: body, EndTag: tagOf(*end)}, nil
	}
	n := &SetNode{Tag: tagOf(s)}
	for _, v := range strings.Split(lhs, ",") {
		n.Names = append(n.Names, strings.TrimSpace(v))
	}
	x, err := ParseExpr(rhs)
	if err != nil {
		return nil, &Error{Pos: s.Pos, Msg: fmt.Sprintf("set: %v", err)}
	}
	n.X = x
	return n, nil
}

func (p *parser) block(s Segment, kind string) (*BlockNode, error) {
	n := &BlockNode{Tag: tagOf(s), Head: tagOf(s), Kind: kind, Args: rest(s.Body)}
	endKw := blockKinds[kind]
	if kind == "raw" {
		// Everything up to endraw is text.
		for p.i < len(p.segs) {
			e := p.segs[p.i]
			p.i++
			if e.Kind == Stmt && keyword(e.Body) == endKw {
				n.Body = []Node{&TextNode{Tag: Tag{Start: s.End, End: e.Start}, Text: p.src[s.End:e.Start]}}
				n.EndTag, n.End = tagOf(e), e.End
				return n, nil
			}
		}
		return nil, &Error{Pos: s.Pos, Msg: "{% raw %} has no {% endraw %}"}
	}
	switch kind {
	case "macro", "test", "materialization":
		name, params, err := signature(n.Args)
		if err != nil {
			return nil, &Error{Pos: s.Pos, Msg: fmt.Sprintf("%s: %v", kind, err)}
		}
		n.Name, n.Params = name, params
	case "docs", "snapshot":
		n.Name = strings.TrimSpace(n.Args)
	}
	body, end, err := p.list()
	if err != nil {
		return nil, err
	}
	if end == nil || keyword(end.Body) != endKw {
		return nil, &Error{Pos: s.Pos, Msg: fmt.Sprintf("{%% %s %%} has no {%% %s %%}", kind, endKw)}
	}
	n.Body = body
	n.EndTag, n.End = tagOf(*end), end.End
	return n, nil
}

// signature parses `name(a, b=1)`.
func signature(s string) (string, []Param, error) {
	name, params, ok := strings.Cut(s, "(")
	name = strings.TrimSpace(name)
	if !ok {
		return name, nil, nil
	}
	p, err := newExprParser("f(" + params)
	if err != nil {
		return "", nil, err
	}
	p.next()
	args, kw, err := p.args()
	if err != nil {
		return "", nil, err
	}
	var out []Param
	for _, a := range args {
		nm, ok := a.(Name)
		if !ok {
			return "", nil, fmt.Errorf("parameter %v is not a name", a)
		}
		out = append(out, Param{Name: nm.Name})
	}
	for _, k := range kw {
		out = append(out, Param{Name: k.Name, Default: k.Val})
	}
	return name, out, nil
}
