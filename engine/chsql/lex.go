// Package chsql reads ClickHouse SQL text the way ClickHouse's own lexer does, without parsing
// it: enough for a protocol front end to find where an INSERT's inline data starts, where a
// query's FORMAT clause is, and which functions a statement names. Strings, quoted identifiers,
// heredocs and (nested) comments are recognised exactly, so a keyword inside a string literal is
// never mistaken for one outside it; text the lexer cannot read is an error, never a guess.
package chsql

import (
	"fmt"
	"strings"
)

// Kind is a token's lexical class.
type Kind uint8

// Token kinds. Space and Comment tokens are produced too, so offsets cover the whole text.
const (
	Space      Kind = iota
	Comment         // -- …, # …, /* … */ (nested)
	Word            // a bare word: keyword or unquoted identifier
	QuotedWord      // `identifier` or "identifier"
	String          // 'literal' or $tag$heredoc$tag$
	Number          // 1, 0x1F, 1.5e3, .5
	Punct           // operators and punctuation, one token per operator
)

// Token is one lexeme: its kind and its byte range [Start, End) in the text.
type Token struct {
	Kind       Kind
	Start, End int
}

// Text returns the token's source text.
func (t Token) Text(src string) string { return src[t.Start:t.End] }

// Error is a lexing failure at a byte offset.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("%s at byte %d", e.Msg, e.Offset) }

// Lexer yields the tokens of src one at a time, so a caller can stop before inline INSERT data,
// which need not be text at all.
type Lexer struct {
	src string
	pos int
}

// NewLexer starts lexing src at offset 0.
func NewLexer(src string) *Lexer { return &Lexer{src: src} }

// Next returns the next token; ok is false at the end of the text. A malformed token (an
// unterminated string, comment, quoted identifier or heredoc) is an *Error.
func (l *Lexer) Next() (tok Token, ok bool, err error) {
	if l.pos >= len(l.src) {
		return Token{}, false, nil
	}
	start := l.pos
	kind, end, err := scan(l.src, start)
	if err != nil {
		return Token{}, false, err
	}
	l.pos = end
	return Token{Kind: kind, Start: start, End: end}, true, nil
}

// Tokens lexes all of src.
func Tokens(src string) ([]Token, error) {
	var out []Token
	l := NewLexer(src)
	for {
		t, ok, err := l.Next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, t)
	}
}

// scan reads one token starting at i.
func scan(s string, i int) (Kind, int, error) {
	c := s[i]
	switch {
	case isSpace(c):
		j := i + 1
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		return Space, j, nil
	case c == '-' && i+1 < len(s) && s[i+1] == '-':
		return Comment, lineEnd(s, i), nil
	case c == '#' && i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '!'):
		// ClickHouse's rule: # starts a comment only before a space or "!" (a shebang).
		return Comment, lineEnd(s, i), nil
	case c == '/' && i+1 < len(s) && s[i+1] == '*':
		return blockComment(s, i)
	case c == '\'':
		end, err := quoted(s, i, '\'', "string literal")
		return String, end, err
	case c == '`' || c == '"':
		end, err := quoted(s, i, c, "quoted identifier")
		return QuotedWord, end, err
	case c == '$':
		if end, ok, err := heredoc(s, i); ok || err != nil {
			return String, end, err
		}
		return Punct, i + 1, nil
	case isDigit(c) || (c == '.' && i+1 < len(s) && isDigit(s[i+1])):
		return Number, number(s, i), nil
	case isWordStart(c):
		j := i + 1
		for j < len(s) && isWordChar(s[j]) {
			j++
		}
		return Word, j, nil
	}
	return Punct, i + punctLen(s, i), nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isWordStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') || c >= 0x80 }
func isWordChar(c byte) bool  { return isWordStart(c) || isDigit(c) || c == '$' }

func lineEnd(s string, i int) int {
	if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(s)
}

// blockComment reads /* … */, which ClickHouse lets nest.
func blockComment(s string, i int) (Kind, int, error) {
	depth := 0
	for j := i; j+1 < len(s); {
		switch {
		case s[j] == '/' && s[j+1] == '*':
			depth++
			j += 2
		case s[j] == '*' && s[j+1] == '/':
			depth--
			j += 2
			if depth == 0 {
				return Comment, j, nil
			}
		default:
			j++
		}
	}
	return Comment, 0, &Error{Offset: i, Msg: "unterminated comment"}
}

// quoted reads a literal closed by q, where a backslash escapes the next byte and a doubled q
// stands for itself.
func quoted(s string, i int, q byte, what string) (int, error) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1, nil
		}
	}
	return 0, &Error{Offset: i, Msg: "unterminated " + what}
}

// heredoc reads $tag$ … $tag$; ok is false when the text at i is not a heredoc opener.
func heredoc(s string, i int) (end int, ok bool, err error) {
	j := i + 1
	for j < len(s) && isWordChar(s[j]) && s[j] != '$' {
		j++
	}
	if j >= len(s) || s[j] != '$' {
		return 0, false, nil
	}
	tag := s[i : j+1]
	k := strings.Index(s[j+1:], tag)
	if k < 0 {
		return 0, true, &Error{Offset: i, Msg: "unterminated heredoc"}
	}
	return j + 1 + k + len(tag), true, nil
}

func number(s string, i int) int {
	j := i
	if s[j] == '0' && j+1 < len(s) && (s[j+1]|0x20 == 'x' || s[j+1]|0x20 == 'b') {
		j += 2
	}
	for j < len(s) {
		c := s[j]
		switch {
		case isDigit(c) || c == '.' || c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'f'):
			j++
		case (c == '+' || c == '-') && (s[j-1]|0x20 == 'e' || s[j-1]|0x20 == 'p'):
			j++
		default:
			return j
		}
	}
	return j
}

// punctLen is the length of the operator at i: the multi-byte ones ClickHouse knows, else 1.
func punctLen(s string, i int) int {
	for _, op := range []string{"<=>", "->", "::", "||", "<=", ">=", "!=", "<>", "=="} {
		if strings.HasPrefix(s[i:], op) {
			return len(op)
		}
	}
	return 1
}

// Ident returns the identifier a Word or QuotedWord token names: the bare text, or the quoted
// text with its escapes undone. Other tokens give "".
func Ident(src string, t Token) string {
	switch t.Kind {
	case Word:
		return t.Text(src)
	case QuotedWord:
		return unquote(t.Text(src))
	}
	return ""
}

// StringValue returns the value of a String token ('…' with escapes undone, or a heredoc's body).
func StringValue(src string, t Token) string {
	if t.Kind != String {
		return ""
	}
	text := t.Text(src)
	if text[0] == '$' {
		tagEnd := strings.IndexByte(text[1:], '$') + 2
		return text[tagEnd : len(text)-tagEnd]
	}
	return unquote(text)
}

// unquote undoes quoting as ClickHouse's parser does (parseComplexEscapeSequence): \xHH is a
// byte, \n and friends are control characters, any other escaped byte stands for itself.
func unquote(text string) string {
	q := text[0]
	body := text[1 : len(text)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\' && i+3 < len(body) && body[i+1] == 'x' && isHex(body[i+2]) && isHex(body[i+3]):
			b.WriteByte(hexVal(body[i+2])<<4 | hexVal(body[i+3]))
			i += 3
		case c == '\\' && i+1 < len(body):
			i++
			b.WriteByte(unescape(body[i]))
		case c == q && i+1 < len(body) && body[i+1] == q:
			i++
			b.WriteByte(q)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	case '0':
		return 0
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'a':
		return '\a'
	case 'v':
		return '\v'
	case 'e':
		return 0x1b
	}
	return c
}

func isHex(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }

func hexVal(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}
