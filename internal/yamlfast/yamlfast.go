// Package yamlfast parses the plain YAML that property files are made of (block mappings and
// sequences, plain and quoted one-line scalars, one-line flow lists of scalars, comments) into
// the same yaml.Node tree gopkg.in/yaml.v3 builds, several times faster: yaml.v3's scanner and
// parser were the largest cost of loading a project with 10,000 documented models.
//
// It never guesses. Anything outside that subset (anchors, aliases, tags, block scalars, flow
// mappings, multi-line scalars, escapes, empty values, duplicate keys, tabs, documents markers,
// errors of any kind) makes Parse return ok=false, and the caller parses with yaml.v3, which
// gives its own result or error. Comments are not attached to nodes (dwm never reads them);
// everything else (kinds, tags, styles, values, lines, columns) equals yaml.v3's, as
// TestParseMatchesYAMLv3 and FuzzParseMatchesYAMLv3 check.
package yamlfast

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// line is one line with content. The text starts at byte off of raw, after the indentation
// (and, for the first line of a sequence item, after "- "); comments are still in it.
type line struct {
	num  int
	raw  string
	off  int
	text string
}

type parser struct {
	lines []line
	i     int
}

// Parse returns the document node of data, or ok=false when data needs yaml.v3.
func Parse(data []byte) (doc *yaml.Node, ok bool) {
	if !printable(data) {
		return nil, false
	}
	text := string(data)
	p := &parser{lines: make([]line, 0, strings.Count(text, "\n")+1)}
	for i := 0; text != ""; i++ {
		raw, rest, _ := strings.Cut(text, "\n")
		text = rest
		indent := len(raw) - len(strings.TrimLeft(raw, " "))
		text := raw[indent:]
		if text == "" || text[0] == '#' {
			continue
		}
		if indent == 0 && (text[0] == '%' || strings.HasPrefix(text, "---") || strings.HasPrefix(text, "...")) {
			return nil, false
		}
		p.lines = append(p.lines, line{num: i + 1, raw: raw, off: indent, text: text})
	}
	if len(p.lines) == 0 {
		return nil, false
	}
	root, ok := p.block(p.lines[0].off)
	if !ok || p.i != len(p.lines) {
		return nil, false
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Line: root.Line, Column: root.Column, Content: []*yaml.Node{root}}, true
}

// printable reports whether data holds only what yaml.v3 reads as printable text, newlines
// aside; tabs, carriage returns and byte order marks are left to yaml.v3 as well.
func printable(data []byte) bool {
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError || (r < 0xA0 && r != 0x85) || r == 0xFEFF || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += size
	}
	return true
}

// column is yaml.v3's 1-based column (in characters) of byte off of l's raw line.
func (l *line) column(off int) int { return utf8.RuneCountInString(l.raw[:off]) + 1 }

func isDash(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

// block parses the mapping or sequence whose lines start at indent.
func (p *parser) block(indent int) (*yaml.Node, bool) {
	if p.i >= len(p.lines) || p.lines[p.i].off != indent {
		return nil, false
	}
	if isDash(p.lines[p.i].text) {
		return p.sequence(indent)
	}
	return p.mapping(indent)
}

func (p *parser) mapping(indent int) (*yaml.Node, bool) {
	first := &p.lines[p.i]
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: first.num, Column: first.column(first.off)}
	for p.i < len(p.lines) && p.lines[p.i].off == indent {
		l := &p.lines[p.i]
		keyLen, valueAt, ok := splitKey(l.text)
		if !ok {
			return nil, false
		}
		key := scalar(l, l.off, l.text[:keyLen], 0)
		for k := 0; k < len(m.Content); k += 2 {
			if m.Content[k].Value == key.Value {
				return nil, false // yaml.v3 reports the duplicate
			}
		}
		var value *yaml.Node
		if valueAt == len(l.text) {
			p.i++
			switch {
			case p.i < len(p.lines) && p.lines[p.i].off > indent:
				value, ok = p.block(p.lines[p.i].off)
			case p.i < len(p.lines) && p.lines[p.i].off == indent && isDash(p.lines[p.i].text):
				value, ok = p.sequence(indent) // a list may sit at its key's indentation
			default:
				ok = false // an empty value: yaml.v3 places its null node
			}
		} else {
			value, ok = inline(l, l.off+valueAt)
			p.i++
		}
		if !ok {
			return nil, false
		}
		m.Content = append(m.Content, key, value)
	}
	return m, p.i == len(p.lines) || p.lines[p.i].off < indent
}

func (p *parser) sequence(indent int) (*yaml.Node, bool) {
	first := &p.lines[p.i]
	s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: first.num, Column: first.column(first.off)}
	for p.i < len(p.lines) && p.lines[p.i].off == indent && isDash(p.lines[p.i].text) {
		l := &p.lines[p.i]
		rest := strings.TrimLeft(l.text[1:], " ")
		var item *yaml.Node
		var ok bool
		switch {
		case rest == "" || rest[0] == '#':
			p.i++
			if p.i < len(p.lines) && p.lines[p.i].off > indent {
				item, ok = p.block(p.lines[p.i].off)
			}
		case isDash(rest):
			ok = false // "- - x"
		default:
			at := l.off + len(l.text) - len(rest)
			if _, _, isKey := splitKey(rest); isKey {
				// "- name: x": a mapping whose keys sit where "name" starts.
				*l = line{num: l.num, raw: l.raw, off: at, text: rest}
				item, ok = p.mapping(at)
			} else {
				item, ok = inline(l, at)
				p.i++
			}
		}
		if !ok {
			return nil, false
		}
		s.Content = append(s.Content, item)
	}
	// A line at the same indentation may go on with the mapping whose key holds this list.
	return s, p.i == len(p.lines) || p.lines[p.i].off <= indent
}

// splitKey finds "key:" at the start of text: the key's length and where its value starts
// (len(text) when the line holds only the key and maybe a comment).
func splitKey(text string) (keyLen, valueAt int, ok bool) {
	if !plainStart(text) {
		return 0, 0, false
	}
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '#' && text[i-1] == ' ':
			return 0, 0, false
		case c == ':' && (i+1 == len(text) || text[i+1] == ' '):
			keyLen = len(strings.TrimRight(text[:i], " "))
			rest := strings.TrimLeft(text[i+1:], " ")
			if rest == "" || rest[0] == '#' {
				return keyLen, len(text), true
			}
			return keyLen, len(text) - len(rest), true
		case strings.IndexByte("[]{},\"'", c) >= 0:
			return 0, 0, false // keep keys simple; yaml.v3 handles the rest
		}
	}
	return 0, 0, false
}

// plainStart reports whether a plain scalar may start text: not with an indicator, except "-"
// before a letter or digit (-5); not the merge key "<<".
func plainStart(text string) bool {
	if text == "" || strings.HasPrefix(text, "<<") {
		return false
	}
	if text[0] == '-' {
		return len(text) > 1 && (isAlnum(text[1]))
	}
	return strings.IndexByte("?:,[]{}#&*!|>'\"%@`", text[0]) < 0
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// inline parses the value that starts at byte off of l's raw line and ends the line.
func inline(l *line, off int) (*yaml.Node, bool) {
	text := l.raw[off:]
	switch text[0] {
	case '[':
		return flowList(l, off)
	case '\'', '"':
		n, end, ok := quoted(l, off)
		return n, ok && endOfLine(l.raw[end:])
	}
	if !plainStart(text) {
		return nil, false
	}
	end := len(text)
	if i := strings.Index(text, " #"); i >= 0 {
		end = i
	}
	value := strings.TrimRight(text[:end], " ")
	if strings.Contains(value, ": ") || strings.HasSuffix(value, ":") {
		return nil, false
	}
	return scalar(l, off, value, 0), true
}

// endOfLine reports whether nothing but spaces and a comment (after a space) follows.
func endOfLine(rest string) bool {
	trimmed := strings.TrimLeft(rest, " ")
	return trimmed == "" || (trimmed[0] == '#' && len(trimmed) < len(rest))
}

// quoted parses a one-line quoted scalar at off; double-quoted ones with escapes are left to
// yaml.v3. It returns the node and the byte offset after the closing quote.
func quoted(l *line, off int) (*yaml.Node, int, bool) {
	q := l.raw[off]
	var b strings.Builder
	for i := off + 1; i < len(l.raw); i++ {
		c := l.raw[i]
		switch {
		case q == '"' && c == '\\':
			return nil, 0, false
		case c == q && q == '\'' && i+1 < len(l.raw) && l.raw[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case c == q:
			style := yaml.DoubleQuotedStyle
			if q == '\'' {
				style = yaml.SingleQuotedStyle
			}
			return scalar(l, off, b.String(), style), i + 1, true
		default:
			b.WriteByte(c)
		}
	}
	return nil, 0, false // continues on the next line
}

// flowList parses "[a, 'b', c]" at off, all on one line.
func flowList(l *line, off int) (*yaml.Node, bool) {
	s := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Line: l.num, Column: l.column(off)}
	i := off + 1
	skip := func() {
		for i < len(l.raw) && l.raw[i] == ' ' {
			i++
		}
	}
	skip()
	if i < len(l.raw) && l.raw[i] == ']' {
		return s, endOfLine(l.raw[i+1:])
	}
	for i < len(l.raw) {
		var item *yaml.Node
		if c := l.raw[i]; c == '\'' || c == '"' {
			n, end, ok := quoted(l, i)
			if !ok {
				return nil, false
			}
			item, i = n, end
		} else {
			start := i
			for i < len(l.raw) && strings.IndexByte(",[]{}#", l.raw[i]) < 0 {
				if l.raw[i] == ':' && (i+1 == len(l.raw) || strings.IndexByte(" ,]", l.raw[i+1]) >= 0) {
					return nil, false // a mapping inside the list
				}
				i++
			}
			value := strings.TrimRight(l.raw[start:i], " ")
			if !plainStart(value) {
				return nil, false
			}
			item = scalar(l, start, value, 0)
		}
		s.Content = append(s.Content, item)
		skip()
		if i >= len(l.raw) {
			return nil, false
		}
		switch l.raw[i] {
		case ']':
			return s, endOfLine(l.raw[i+1:])
		case ',':
			i++
			skip()
		default:
			return nil, false
		}
	}
	return nil, false
}

// scalar makes a scalar node at byte off of l, tagged as yaml.v3's resolver tags it.
func scalar(l *line, off int, value string, style yaml.Style) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Style: style, Value: value, Line: l.num, Column: l.column(off)}
	n.Tag = n.ShortTag()
	return n
}
