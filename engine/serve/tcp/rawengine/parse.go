package rawengine

import (
	"regexp"
	"strings"

	"github.com/dwmhq/dwm/engine/serve/tcp"
)

// sessionRe matches the statements a session keeps for itself.
var sessionRe = regexp.MustCompile(`(?is)^(USE|SET)\s+(.*?)\s*;?\s*$`)

// sessionStatement returns "USE" or "SET" and the rest of the statement, or "" for any other.
// SET ROLE and SET DEFAULT ROLE are ordinary statements, not settings.
func sessionStatement(sql string) (kind, arg string) {
	m := sessionRe.FindStringSubmatch(stripComments(sql))
	if m == nil {
		return "", ""
	}
	kind = strings.ToUpper(m[1])
	if kind == "SET" {
		if f := strings.Fields(strings.ToUpper(m[2])); len(f) > 0 && (f[0] == "ROLE" || f[0] == "DEFAULT" || f[0] == "TRANSACTION") {
			return "", ""
		}
	}
	return kind, m[2]
}

// stripComments drops leading whitespace and comments.
func stripComments(sql string) string {
	for {
		s := strings.TrimLeft(sql, " \t\r\n\f")
		switch {
		case strings.HasPrefix(s, "--"):
			if i := strings.IndexByte(s, '\n'); i >= 0 {
				sql = s[i+1:]
				continue
			}
			return ""
		case strings.HasPrefix(s, "/*"):
			if i := strings.Index(s, "*/"); i >= 0 {
				sql = s[i+2:]
				continue
			}
			return ""
		}
		return s
	}
}

// identifier reads one bare or quoted identifier that makes up all of s.
func identifier(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if q := s[0]; q == '`' || q == '"' {
		v, rest, ok := tcp.Unquote(s)
		return v, ok && strings.TrimSpace(rest) == ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80) {
			return "", false
		}
	}
	return s, true
}

// assignment is one name = value of a SET; value is the setting's text, unquoted.
type assignment struct {
	name, value string
	reset       bool // name = DEFAULT
}

// parseSet reads "a = 1, b = 'x', c = DEFAULT".
func parseSet(s string) ([]assignment, bool) {
	var out []assignment
	rest := strings.TrimSpace(s)
	for rest != "" {
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return nil, false
		}
		name, ok := identifier(rest[:eq])
		if !ok {
			return nil, false
		}
		rest = strings.TrimSpace(rest[eq+1:])
		var a assignment
		a.name = name
		if rest != "" && rest[0] == '\'' {
			v, after, ok := tcp.Unquote(rest)
			if !ok {
				return nil, false
			}
			a.value, rest = v, strings.TrimSpace(after)
		} else {
			end := topLevelComma(rest)
			a.value = strings.TrimSpace(rest[:end])
			rest = rest[end:]
			if a.value == "" || strings.ContainsAny(a.value, " \t\r\n") && !bracketed(a.value) {
				return nil, false // a literal: a number, a word, or [..] / (..) / {..}
			}
			a.reset = strings.EqualFold(a.value, "DEFAULT")
		}
		out = append(out, a)
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return nil, false
		}
		rest = strings.TrimSpace(rest[1:])
	}
	return out, len(out) > 0
}

// bracketed reports whether v is one [..], (..) or {..} literal.
func bracketed(v string) bool {
	return len(v) >= 2 && strings.ContainsRune("[({", rune(v[0])) && strings.ContainsRune("])}", rune(v[len(v)-1]))
}

// topLevelComma is the index of the first comma outside brackets and quotes, or len(s).
func topLevelComma(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case '\'', '"', '`':
			for i++; i < len(s) && s[i] != c; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case ',':
			if depth == 0 {
				return i
			}
		}
	}
	return len(s)
}
