package tmpl

import (
	"strconv"
	"strings"
)

// quickParse parses a template written in the fast path's subset (see ast.go) straight into
// the fast tree, following text/template's lexer where it matters for the output: {{- and -}}
// trim the spaces, tabs and newlines next to them, comments are {{/* ... */}} right against the
// delimiters, newlines may appear inside actions. It declines (ok false) anything else: other
// functions, variables, pipelines, range/with/define/template, field chains, character and
// non-decimal numbers, and every syntax error, which text/template then reports.
// TestQuickParseMatchesTextTemplate and FuzzQuickParse compare it with text/template.
func quickParse(text string) (nodes []anode, ok bool) {
	q := &quick{text: text, size: 2*strings.Count(text, "{{") + 1}
	nodes, end := q.list()
	if nodes == nil {
		nodes = []anode{} // an empty template is on the fast path too
	}
	return nodes, end == endEOF && !q.bad
}

type quick struct {
	text      string
	pos       int
	trimNext  bool // the last action ended with -}}: the next text loses its leading spaces
	bad       bool
	pendingIf *acmd // the condition read by an {{ else if ... }}
	size      int   // a capacity for the top-level list: a text and an action per {{
	stack     []aarg
}

// how a list ended
const (
	endEOF = iota
	endElse
	endElseIf
	endEnd
	endBad
)

const spaceChars = " \t\r\n"

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// list reads nodes up to the end of the text or an {{ else }}/{{ end }}.
func (q *quick) list() ([]anode, int) {
	var out []anode
	if q.size > 0 {
		out, q.size = make([]anode, 0, q.size), 0
	}
	for {
		i := strings.Index(q.text[q.pos:], "{{")
		if i < 0 {
			out = q.addText(out, q.text[q.pos:], false)
			q.pos = len(q.text)
			return out, endEOF
		}
		start := q.pos + i
		body := start + 2
		trimLeft := len(q.text) >= body+2 && q.text[body] == '-' && isSpaceByte(q.text[body+1])
		out = q.addText(out, q.text[q.pos:start], trimLeft)
		if trimLeft {
			body += 2
		}
		q.pos = body
		if strings.HasPrefix(q.text[q.pos:], "/*") {
			if !q.comment() {
				return nil, endBad
			}
			continue
		}
		node, end := q.action()
		switch end {
		case endBad:
			q.bad = true
			return nil, endBad
		case -1:
			out = append(out, node)
		default:
			return out, end
		}
	}
}

// addText appends text (trimmed as the delimiters around it say) unless nothing is left.
func (q *quick) addText(out []anode, s string, trimRight bool) []anode {
	if q.trimNext {
		s = strings.TrimLeft(s, spaceChars)
		q.trimNext = false
	}
	if trimRight {
		s = strings.TrimRight(s, spaceChars)
	}
	if s != "" {
		out = append(out, anode{text: s})
	}
	return out
}

// comment skips /* ... */ and the closing delimiter right after it.
func (q *quick) comment() bool {
	q.pos += 2 // past "/*": the end is searched after it, as text/template does
	i := strings.Index(q.text[q.pos:], "*/")
	if i < 0 {
		q.bad = true
		return false
	}
	q.pos += i + 2
	if !q.closeDelim() {
		q.bad = true
		return false
	}
	return true
}

// closeDelim consumes }} or " -}}" at pos.
func (q *quick) closeDelim() bool {
	rest := q.text[q.pos:]
	switch {
	case strings.HasPrefix(rest, "}}"):
		q.pos += 2
	case len(rest) >= 4 && isSpaceByte(rest[0]) && strings.HasPrefix(rest[1:], "-}}"):
		q.pos += 4
		q.trimNext = true
	default:
		return false
	}
	return true
}

// skipSpace skips spaces inside an action, stopping before a " -}}".
func (q *quick) skipSpace() {
	for q.pos < len(q.text) && isSpaceByte(q.text[q.pos]) {
		if strings.HasPrefix(q.text[q.pos+1:], "-}}") {
			return
		}
		q.pos++
	}
}

// action reads one action after its opening delimiter: a node (end -1), or the end of a list.
func (q *quick) action() (anode, int) {
	q.skipSpace()
	word, wordPos := q.ident()
	switch word {
	case "if":
		cond := q.command()
		if cond == nil || !q.endAction() {
			return anode{}, endBad
		}
		return q.ifNode(cond)
	case "else":
		q.skipSpace()
		if q.closeDelim() {
			return anode{}, endElse
		}
		if w, _ := q.ident(); w != "if" {
			return anode{}, endBad
		}
		cond := q.command()
		if cond == nil || !q.endAction() {
			return anode{}, endBad
		}
		q.pendingIf = cond
		return anode{}, endElseIf
	case "end":
		q.skipSpace()
		if !q.closeDelim() {
			return anode{}, endBad
		}
		return anode{}, endEnd
	case "":
		return anode{}, endBad // .Args, literals and the rest start no fast action at top level
	}
	q.pos = wordPos
	cmd := q.command()
	if cmd == nil || !q.endAction() {
		return anode{}, endBad
	}
	return anode{cmd: cmd}, -1
}

// ifNode reads the branches of an if whose condition was read; {{ else if }} nests an if in
// the else branch, as text/template does.
func (q *quick) ifNode(cond *acmd) (anode, int) {
	n := &aif{cond: cond}
	then, end := q.list()
	n.then = then
	switch end {
	case endEnd:
		return anode{ifn: n}, -1
	case endElse:
		els, end := q.list()
		if end != endEnd {
			return anode{}, endBad
		}
		n.els = els
		return anode{ifn: n}, -1
	case endElseIf:
		inner, end := q.ifNode(q.pendingIf)
		if end != -1 {
			return anode{}, endBad
		}
		n.els = []anode{inner}
		return anode{ifn: n}, -1
	}
	return anode{}, endBad
}

// endAction consumes the closing delimiter after a command.
func (q *quick) endAction() bool {
	q.skipSpace()
	return q.closeDelim()
}

// ident reads an identifier at pos; "" (pos unchanged) when there is none. Identifiers must end
// where text/template's do, so "ref.x" or "ref$" are not identifiers here.
func (q *quick) ident() (string, int) {
	start := q.pos
	i := start
	for i < len(q.text) && (isAlnum(q.text[i]) || q.text[i] == '_') {
		i++
	}
	if i == start || (q.text[start] >= '0' && q.text[start] <= '9') || !q.terminator(i) {
		return "", start
	}
	q.pos = i
	return q.text[start:i], start
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// terminator reports whether an operand may end before byte i: text/template wants a space, a
// closing parenthesis or the end of the action after one.
func (q *quick) terminator(i int) bool {
	if i >= len(q.text) {
		return false
	}
	c := q.text[i]
	return isSpaceByte(c) || c == ')' || strings.HasPrefix(q.text[i:], "}}")
}

// command reads a function call (or .Args) and its arguments, up to ")" or the end of the action.
func (q *quick) command() *acmd {
	q.skipSpace()
	c := &acmd{}
	if strings.HasPrefix(q.text[q.pos:], ".Args") && q.terminator(q.pos+5) {
		q.pos += 5
		return c
	}
	word, wordPos := q.ident()
	if !fastFuncs[word] {
		return nil
	}
	c.fn, c.pos = word, wordPos
	// Arguments collect on a stack shared by nested commands, then move to a slice of their
	// exact size: one allocation per command instead of one per append that grows it.
	base := len(q.stack)
	defer func() { q.stack = q.stack[:base] }()
	for {
		q.skipSpace()
		if q.pos >= len(q.text) {
			return nil
		}
		rest := q.text[q.pos:]
		if rest[0] == ')' || strings.HasPrefix(rest, "}}") || (len(rest) >= 4 && isSpaceByte(rest[0]) && strings.HasPrefix(rest[1:], "-}}")) {
			if len(q.stack) > base {
				c.args = append([]aarg(nil), q.stack[base:]...)
			}
			return c
		}
		a, ok := q.arg()
		if !ok {
			return nil
		}
		q.stack = append(q.stack, a)
	}
}

// arg reads one argument.
func (q *quick) arg() (aarg, bool) {
	rest := q.text[q.pos:]
	switch c := rest[0]; {
	case c == '"' || c == '`':
		end := 1
		for end < len(rest) && rest[end] != c {
			if rest[end] == '\\' && c == '"' {
				end++
			} else if rest[end] == '\n' && c == '"' {
				return aarg{}, false
			}
			end++
		}
		if end >= len(rest) {
			return aarg{}, false
		}
		s, err := strconv.Unquote(rest[:end+1])
		if err != nil || !q.terminator(q.pos+end+1) {
			return aarg{}, false
		}
		q.pos += end + 1
		return aarg{kind: argString, s: s}, true
	case c == '(':
		q.pos++
		sub := q.command()
		if sub == nil || sub.fn == "" || q.pos >= len(q.text) || q.text[q.pos] != ')' || !q.terminator(q.pos+1) {
			return aarg{}, false
		}
		q.pos++
		return aarg{kind: argPipe, cmd: sub}, true
	case c == '-' || (c >= '0' && c <= '9'):
		end := 1
		for end < len(rest) && (isAlnum(rest[end]) || rest[end] == '.' || rest[end] == '_') {
			end++
		}
		if !q.terminator(q.pos + end) {
			return aarg{}, false
		}
		a, ok := number(rest[:end])
		q.pos += end
		return a, ok
	case c == '.':
		if strings.HasPrefix(rest, ".Args") && q.terminator(q.pos+5) {
			q.pos += 5
			return aarg{kind: argArgs}, true
		}
		return aarg{}, false
	}
	word, _ := q.ident()
	switch word {
	case "true", "false":
		return aarg{kind: argBool, b: word == "true"}, true
	case "this", "is_incremental", "project_dir":
		return aarg{kind: argNiladic, s: word}, true
	}
	return aarg{}, false
}
