package tcp

import (
	"strings"
	"unicode"
)

// parseInsert recognises an INSERT whose data the client sends as blocks after the statement:
// INSERT INTO [TABLE] name [(columns)] [SETTINGS ...] VALUES|FORMAT fmt, with nothing after it.
// Anything else, including INSERT ... SELECT and an INSERT with inline VALUES, is an ordinary
// statement (ok false). function is true for INSERT INTO FUNCTION, which waits for data too.
func parseInsert(sql string) (ins Insert, function, ok bool) {
	s := &scanner{src: sql}
	s.space()
	if !s.keyword("INSERT") || !s.keyword("INTO") {
		return Insert{}, false, false
	}
	s.keyword("TABLE")
	if s.keyword("FUNCTION") {
		return Insert{}, true, endsWaitingForData(sql)
	}
	start := s.pos
	for part := 0; ; part++ {
		if _, ok := s.ident(); !ok || part > 1 {
			return Insert{}, false, false
		}
		if !s.punct('.') {
			break
		}
	}
	ins.Table = strings.TrimSpace(sql[start:s.pos])
	if s.punct('(') {
		ins.Columns = []string{}
		for {
			name, ok := s.ident()
			if !ok {
				return Insert{}, false, false
			}
			ins.Columns = append(ins.Columns, name)
			if s.punct(')') {
				break
			}
			if !s.punct(',') {
				return Insert{}, false, false
			}
		}
	}
	if s.keyword("SETTINGS") && !s.skipTo("VALUES", "FORMAT") {
		return Insert{}, false, false
	}
	end := s.pos
	switch {
	case s.keyword("VALUES"):
	case s.keyword("FORMAT"):
		if _, ok := s.ident(); !ok {
			return Insert{}, false, false
		}
	default:
		return Insert{}, false, false // INSERT ... SELECT, or something this parser does not know
	}
	s.punct(';')
	if s.pos < len(sql) {
		return Insert{}, false, false // inline data: the engine parses it
	}
	ins.Prefix = strings.TrimSpace(sql[:end])
	ins.SQL = sql
	return ins, false, true
}

// endsWaitingForData reports whether sql ends with VALUES or FORMAT name and nothing after.
func endsWaitingForData(sql string) bool {
	fields := strings.Fields(strings.TrimRight(sql, "; \t\r\n"))
	n := len(fields)
	return n > 0 && strings.EqualFold(fields[n-1], "VALUES") ||
		n > 1 && strings.EqualFold(fields[n-2], "FORMAT")
}

// scanner walks SQL tokens the INSERT grammar needs, skipping whitespace and comments.
type scanner struct {
	src string
	pos int
}

func (s *scanner) space() {
	for s.pos < len(s.src) {
		switch rest := s.src[s.pos:]; {
		case rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r' || rest[0] == '\f':
			s.pos++
		case strings.HasPrefix(rest, "--") || rest[0] == '#':
			if i := strings.IndexByte(rest, '\n'); i >= 0 {
				s.pos += i + 1
			} else {
				s.pos = len(s.src)
			}
		case strings.HasPrefix(rest, "/*"):
			if i := strings.Index(rest[2:], "*/"); i >= 0 {
				s.pos += i + 4
			} else {
				s.pos = len(s.src)
			}
		default:
			return
		}
	}
}

// keyword consumes word (case-insensitive) when it stands alone.
func (s *scanner) keyword(word string) bool {
	rest := s.src[s.pos:]
	if len(rest) < len(word) || !strings.EqualFold(rest[:len(word)], word) {
		return false
	}
	if len(rest) > len(word) && isIdentByte(rest[len(word)]) {
		return false
	}
	s.pos += len(word)
	s.space()
	return true
}

func (s *scanner) punct(c byte) bool {
	if s.pos < len(s.src) && s.src[s.pos] == c {
		s.pos++
		s.space()
		return true
	}
	return false
}

// ident consumes a bare or quoted identifier and returns it unquoted.
func (s *scanner) ident() (string, bool) {
	if s.pos >= len(s.src) {
		return "", false
	}
	if q := s.src[s.pos]; q == '`' || q == '"' {
		var b strings.Builder
		for i := s.pos + 1; i < len(s.src); i++ {
			switch c := s.src[i]; {
			case c == '\\' && i+1 < len(s.src):
				i++
				b.WriteByte(s.src[i])
			case c == q && i+1 < len(s.src) && s.src[i+1] == q:
				i++
				b.WriteByte(q)
			case c == q:
				s.pos = i + 1
				s.space()
				return b.String(), true
			default:
				b.WriteByte(c)
			}
		}
		return "", false
	}
	start := s.pos
	for s.pos < len(s.src) && isIdentByte(s.src[s.pos]) {
		s.pos++
	}
	if start == s.pos || unicode.IsDigit(rune(s.src[start])) {
		s.pos = start
		return "", false
	}
	name := s.src[start:s.pos]
	s.space()
	return name, true
}

// skipTo moves to the first of words outside quotes and parentheses, for a SETTINGS clause.
func (s *scanner) skipTo(words ...string) bool {
	depth := 0
	for s.pos < len(s.src) {
		switch c := s.src[s.pos]; {
		case c == '\'' || c == '`' || c == '"':
			i := s.pos + 1
			for ; i < len(s.src) && s.src[i] != c; i++ {
				if s.src[i] == '\\' {
					i++
				}
			}
			s.pos = i + 1
		case c == '(':
			depth++
			s.pos++
		case c == ')':
			depth--
			s.pos++
		case depth == 0 && isIdentByte(c) && (s.pos == 0 || !isIdentByte(s.src[s.pos-1])):
			for _, w := range words {
				rest := s.src[s.pos:]
				if len(rest) >= len(w) && strings.EqualFold(rest[:len(w)], w) && (len(rest) == len(w) || !isIdentByte(rest[len(w)])) {
					return true
				}
			}
			s.pos++
		default:
			s.pos++
		}
	}
	return false
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
