package jinja

import (
	"fmt"
	"strconv"
	"strings"
)

type tok struct {
	kind byte // 'n' name, 's' string, 'i' int, 'f' float, 'o' operator, 0 end
	text string
	val  any
	off  int
}

func tokenize(s string) ([]tok, error) {
	var out []tok
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '_' || isLetter(c):
			j := i
			for j < len(s) && (s[j] == '_' || isLetter(s[j]) || isDigit(s[j])) {
				j++
			}
			out = append(out, tok{kind: 'n', text: s[i:j], off: i})
			i = j
		case isDigit(c):
			j := i
			for j < len(s) && (isDigit(s[j]) || s[j] == '.' || s[j] == '_') {
				j++
			}
			txt := strings.ReplaceAll(s[i:j], "_", "")
			if strings.Contains(txt, ".") {
				f, err := strconv.ParseFloat(txt, 64)
				if err != nil {
					return nil, fmt.Errorf("bad number %q", s[i:j])
				}
				out = append(out, tok{kind: 'f', text: s[i:j], val: f, off: i})
			} else {
				n, err := strconv.ParseInt(txt, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("bad number %q", s[i:j])
				}
				out = append(out, tok{kind: 'i', text: s[i:j], val: n, off: i})
			}
			i = j
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
					switch s[j] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					default:
						b.WriteByte(s[j])
					}
					continue
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string")
			}
			out = append(out, tok{kind: 's', text: s[i : j+1], val: b.String(), off: i})
			i = j + 1
		default:
			op := ""
			for _, o := range []string{"==", "!=", "<=", ">=", "//", "**"} {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				if !strings.ContainsRune("()[]{},:.|=<>+-*/%~", rune(c)) {
					return nil, fmt.Errorf("unexpected character %q", c)
				}
				op = string(c)
			}
			out = append(out, tok{kind: 'o', text: op, off: i})
			i += len(op)
		}
	}
	return append(out, tok{off: len(s)}), nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// exprParser is a recursive-descent parser over Jinja's precedence levels.
type exprParser struct {
	toks []tok
	i    int
}

// ParseExpr parses a whole expression.
func ParseExpr(s string) (Expr, error) {
	p, err := newExprParser(s)
	if err != nil {
		return nil, err
	}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	if !p.at(0, "") {
		return nil, fmt.Errorf("unexpected %q", p.peek().text)
	}
	return e, nil
}

func newExprParser(s string) (*exprParser, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	return &exprParser{toks: toks}, nil
}

func (p *exprParser) peek() tok { return p.toks[p.i] }
func (p *exprParser) next() tok {
	t := p.toks[p.i]
	if t.kind != 0 {
		p.i++
	}
	return t
}

// at reports whether the next token has kind (0 = any kind) and text ("" = any text).
func (p *exprParser) at(kind byte, text string) bool {
	t := p.peek()
	if kind == 0 && text == "" {
		return t.kind == 0
	}
	return (kind == 0 || t.kind == kind) && (text == "" || t.text == text)
}

func (p *exprParser) accept(kind byte, text string) bool {
	if p.at(kind, text) {
		p.i++
		return true
	}
	return false
}

func (p *exprParser) expect(text string) error {
	if !p.accept('o', text) {
		return fmt.Errorf("expected %q, got %q", text, p.peek().text)
	}
	return nil
}

func (p *exprParser) expr() (Expr, error) {
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.accept('n', "if") {
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		var els Expr = Lit{}
		if p.accept('n', "else") {
			if els, err = p.expr(); err != nil {
				return nil, err
			}
		}
		return Cond{Then: e, Cond: c, Else: els}, nil
	}
	return e, nil
}

func (p *exprParser) or() (Expr, error) {
	return p.binary(p.and, "or")
}

func (p *exprParser) and() (Expr, error) {
	return p.binary(p.not, "and")
}

func (p *exprParser) binary(sub func() (Expr, error), ops ...string) (Expr, error) {
	l, err := sub()
	if err != nil {
		return nil, err
	}
	for {
		op := ""
		for _, o := range ops {
			if p.at(0, o) && p.peek().kind != 's' {
				op = o
			}
		}
		if op == "" {
			return l, nil
		}
		p.next()
		r, err := sub()
		if err != nil {
			return nil, err
		}
		l = Binary{Op: op, L: l, R: r}
	}
}

func (p *exprParser) not() (Expr, error) {
	if p.accept('n', "not") {
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return Unary{Op: "not", X: x}, nil
	}
	return p.compare()
}

func (p *exprParser) compare() (Expr, error) {
	l, err := p.concat()
	if err != nil {
		return nil, err
	}
	for {
		op := ""
		switch {
		case p.at('o', "==") || p.at('o', "!=") || p.at('o', "<") || p.at('o', ">") || p.at('o', "<=") || p.at('o', ">="):
			op = p.next().text
		case p.at('n', "in"):
			p.next()
			op = "in"
		case p.at('n', "not") && p.toks[p.i+1].text == "in":
			p.i += 2
			op = "not in"
		case p.at('n', "is"):
			p.next()
			t := Test{X: l, Not: p.accept('n', "not")}
			name := p.next()
			if name.kind != 'n' {
				return nil, fmt.Errorf("expected a test name after 'is'")
			}
			t.Name = name.text
			if p.at('o', "(") {
				args, _, err := p.args()
				if err != nil {
					return nil, err
				}
				t.Args = args
			}
			l = t
			continue
		default:
			return l, nil
		}
		r, err := p.concat()
		if err != nil {
			return nil, err
		}
		l = Binary{Op: op, L: l, R: r}
	}
}

func (p *exprParser) concat() (Expr, error) { return p.binary(p.add, "~") }
func (p *exprParser) add() (Expr, error)    { return p.binary(p.mul, "+", "-") }
func (p *exprParser) mul() (Expr, error)    { return p.binary(p.unary, "*", "/", "//", "%") }

func (p *exprParser) unary() (Expr, error) {
	if p.accept('o', "-") {
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if l, ok := x.(Lit); ok {
			switch v := l.Val.(type) {
			case int64:
				return Lit{Val: -v}, nil
			case float64:
				return Lit{Val: -v}, nil
			}
		}
		return Unary{Op: "-", X: x}, nil
	}
	return p.filtered()
}

func (p *exprParser) filtered() (Expr, error) {
	x, err := p.postfix()
	if err != nil {
		return nil, err
	}
	for p.accept('o', "|") {
		name := p.next()
		if name.kind != 'n' {
			return nil, fmt.Errorf("expected a filter name after '|'")
		}
		f := Filter{X: x, Name: name.text}
		if p.at('o', "(") {
			if f.Args, f.Kw, err = p.args(); err != nil {
				return nil, err
			}
		}
		x = f
	}
	return x, nil
}

func (p *exprParser) postfix() (Expr, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.accept('o', "."):
			name := p.next()
			if name.kind != 'n' && name.kind != 'i' {
				return nil, fmt.Errorf("expected a name after '.'")
			}
			x = Attr{X: x, Name: name.text}
		case p.at('o', "["):
			p.next()
			k, err := p.expr()
			if err != nil {
				return nil, err
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			x = Index{X: x, Key: k}
		case p.at('o', "("):
			args, kw, err := p.args()
			if err != nil {
				return nil, err
			}
			x = Call{Fn: x, Args: args, Kw: kw}
		default:
			return x, nil
		}
	}
}

// args parses (a, b, k=v).
func (p *exprParser) args() ([]Expr, []Kwarg, error) {
	if err := p.expect("("); err != nil {
		return nil, nil, err
	}
	var args []Expr
	var kw []Kwarg
	for !p.accept('o', ")") {
		if p.at('n', "") && p.toks[p.i+1].text == "=" && p.toks[p.i+1].kind == 'o' {
			name := p.next().text
			p.next()
			v, err := p.expr()
			if err != nil {
				return nil, nil, err
			}
			kw = append(kw, Kwarg{Name: name, Val: v})
		} else {
			v, err := p.expr()
			if err != nil {
				return nil, nil, err
			}
			args = append(args, v)
		}
		if !p.accept('o', ",") {
			if err := p.expect(")"); err != nil {
				return nil, nil, err
			}
			break
		}
	}
	return args, kw, nil
}

func (p *exprParser) primary() (Expr, error) {
	t := p.next()
	switch t.kind {
	case 's':
		s := t.val.(string)
		for p.at('s', "") { // adjacent literals concatenate, as in Python
			s += p.next().val.(string)
		}
		return Lit{Val: s}, nil
	case 'i', 'f':
		return Lit{Val: t.val}, nil
	case 'n':
		switch t.text {
		case "true", "True":
			return Lit{Val: true}, nil
		case "false", "False":
			return Lit{Val: false}, nil
		case "none", "None":
			return Lit{}, nil
		}
		return Name{Name: t.text}, nil
	case 'o':
		switch t.text {
		case "(":
			if p.accept('o', ")") {
				return List{}, nil
			}
			e, err := p.expr()
			if err != nil {
				return nil, err
			}
			if p.at('o', ",") { // a tuple
				elems := []Expr{e}
				for p.accept('o', ",") && !p.at('o', ")") {
					x, err := p.expr()
					if err != nil {
						return nil, err
					}
					elems = append(elems, x)
				}
				e = List{Elems: elems}
			}
			return e, p.expect(")")
		case "[":
			var l List
			for !p.accept('o', "]") {
				x, err := p.expr()
				if err != nil {
					return nil, err
				}
				l.Elems = append(l.Elems, x)
				if !p.accept('o', ",") {
					if err := p.expect("]"); err != nil {
						return nil, err
					}
					break
				}
			}
			return l, nil
		case "{":
			var d Dict
			for !p.accept('o', "}") {
				k, err := p.expr()
				if err != nil {
					return nil, err
				}
				if err := p.expect(":"); err != nil {
					return nil, err
				}
				v, err := p.expr()
				if err != nil {
					return nil, err
				}
				d.Keys, d.Vals = append(d.Keys, k), append(d.Vals, v)
				if !p.accept('o', ",") {
					if err := p.expect("}"); err != nil {
						return nil, err
					}
					break
				}
			}
			return d, nil
		}
	case 0:
		return nil, fmt.Errorf("unexpected end of expression")
	}
	return nil, fmt.Errorf("unexpected %q", t.text)
}
