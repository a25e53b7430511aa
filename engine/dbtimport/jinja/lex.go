// Package jinja parses the subset of Jinja that dbt projects are written in: text, {{ output }},
// {% statements %} and {# comments #}, with whitespace control, and the expression language inside
// them. It knows nothing about dbt or dwm; it only turns source into a tree with positions, so the
// importer can map each construct and report the ones it cannot, by line and column.
package jinja

import (
	"fmt"
	"strings"
)

// Kind is the kind of a top-level segment of a template.
type Kind int

// Segment kinds.
const (
	Text    Kind = iota // literal text between tags
	Output              // {{ expr }}
	Stmt                // {% tag ... %}
	Comment             // {# ... #}
)

// Pos is a 1-based line and column in the source.
type Pos struct{ Line, Col int }

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Segment is one piece of a template. Body is the text inside the delimiters, without the
// whitespace-control dashes; Start and End are byte offsets of the whole segment in the source.
type Segment struct {
	Kind       Kind
	Body       string
	Pos        Pos
	Start, End int
	TrimLeft   bool // {{- / {%- / {#-
	TrimRight  bool // -}} / -%} / -#}
}

// Lex splits src into segments. An unterminated tag is an error at its position.
func Lex(src string) ([]Segment, error) {
	var out []Segment
	i := 0
	for i < len(src) {
		j := nextOpen(src, i)
		if j < 0 {
			out = append(out, Segment{Kind: Text, Body: src[i:], Pos: position(src, i), Start: i, End: len(src)})
			break
		}
		if j > i {
			out = append(out, Segment{Kind: Text, Body: src[i:j], Pos: position(src, i), Start: i, End: j})
		}
		kind, closer := Output, "}}"
		switch src[j+1] {
		case '%':
			kind, closer = Stmt, "%}"
		case '#':
			kind, closer = Comment, "#}"
		}
		seg := Segment{Kind: kind, Pos: position(src, j), Start: j}
		k := j + 2
		if k < len(src) && src[k] == '-' {
			seg.TrimLeft = true
			k++
		} else if k < len(src) && src[k] == '+' {
			k++ // {%+ disables lstrip_blocks, which dbt does not enable: nothing to do
		}
		end := findClose(src, k, kind, closer)
		if end < 0 {
			return nil, &Error{Pos: seg.Pos, Msg: fmt.Sprintf("unclosed %s (no %q)", src[j:j+2], closer)}
		}
		body := src[k:end]
		if strings.HasSuffix(body, "-") {
			seg.TrimRight = true
			body = body[:len(body)-1]
		} else if strings.HasSuffix(body, "+") && kind == Stmt {
			body = body[:len(body)-1]
		}
		seg.Body = body
		seg.End = end + 2
		out = append(out, seg)
		i = seg.End
	}
	return out, nil
}

// nextOpen finds the next {{, {% or {#.
func nextOpen(src string, from int) int {
	for i := from; i+1 < len(src); i++ {
		if src[i] == '{' && (src[i+1] == '{' || src[i+1] == '%' || src[i+1] == '#') {
			return i
		}
	}
	return -1
}

// findClose finds the closing delimiter, skipping string literals inside expressions and statements.
func findClose(src string, from int, kind Kind, closer string) int {
	var quote byte
	for i := from; i+1 < len(src); i++ {
		c := src[i]
		if kind != Comment {
			if quote != 0 {
				if c == '\\' {
					i++
				} else if c == quote {
					quote = 0
				}
				continue
			}
			if c == '\'' || c == '"' {
				quote = c
				continue
			}
		}
		if src[i:i+2] == closer {
			return i
		}
	}
	return -1
}

// position converts a byte offset into a line and column.
func position(src string, off int) Pos {
	p := Pos{Line: 1, Col: 1}
	for i := 0; i < off && i < len(src); i++ {
		if src[i] == '\n' {
			p.Line++
			p.Col = 1
		} else {
			p.Col++
		}
	}
	return p
}

// Error is a parse error at a position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }
