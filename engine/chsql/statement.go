package chsql

import (
	"errors"
	"strings"
)

// ErrIncomplete means the text ends before the statement's SQL part does. A caller reading a
// request body reads more (up to its query size limit) and analyses again.
var ErrIncomplete = errors.New("statement text is incomplete")

// ErrMultiStatement means the text holds more than one statement, which ClickHouse's HTTP
// interface refuses too.
var ErrMultiStatement = errors.New("multi-statements are not allowed")

// Statement is what a protocol front end needs to know about one statement's text.
type Statement struct {
	// Keyword is the first keyword in upper case (SELECT, INSERT, CREATE, …), or "(" for a query
	// that opens with a parenthesis.
	Keyword string
	// SQL is the statement's SQL: the whole text without a trailing ";", or for an INSERT with
	// inline data, the text before the data.
	SQL string
	// Toks are SQL's significant tokens (no spaces or comments), with offsets into SQL.
	Toks []Token

	// DataFormat is the format of an INSERT's inline data (INSERT … FORMAT f <data>, or "Values"
	// for INSERT … VALUES <data>); "" when the statement carries none.
	DataFormat string
	// Head is the INSERT without its FORMAT clause or VALUES keyword: what a streaming insert
	// takes. Set with DataFormat.
	Head string
	// DataStart is where the inline data begins in the analysed text. Set with DataFormat.
	DataStart int
	// InsertSelect is true for INSERT … SELECT, whose data, if any, is read through input().
	InsertSelect bool

	// Format is the format named by a query's trailing FORMAT clause, "" when none.
	Format string
	// OutputAt is where an INTO OUTFILE clause belongs in SQL: the FORMAT keyword, or the end.
	OutputAt int
}

// Analyze reads the statement at the start of text. complete says whether text is all there is;
// when it is not and the SQL part might continue past its end, Analyze returns ErrIncomplete.
// An INSERT's inline data is never lexed: analysis stops where it begins.
func Analyze(text string, complete bool) (*Statement, error) {
	st := &Statement{OutputAt: -1}
	l := NewLexer(text)
	depth, end := 0, len(text)
	var last Token // previous significant token
	readsInput := false
	for {
		t, ok, err := l.Next()
		if err != nil {
			if !complete {
				return nil, ErrIncomplete
			}
			return nil, err
		}
		if !ok {
			break
		}
		if t.Kind == Space || t.Kind == Comment {
			continue
		}
		word := ""
		if t.Kind == Word {
			word = strings.ToUpper(t.Text(text))
		}
		if st.Keyword == "" {
			st.Keyword = word
			if t.Kind == Punct && t.Text(text) == "(" {
				st.Keyword = "("
			}
		}
		if t.Kind == Punct {
			switch t.Text(text) {
			case "(", "[":
				depth++
			case ")", "]":
				depth--
			case ";":
				if depth == 0 {
					rest, err := onlyTrailing(text, l)
					if err != nil {
						return nil, err
					}
					if !rest {
						return nil, ErrMultiStatement
					}
					end = t.Start
				}
			}
		}
		if end != len(text) {
			break
		}
		st.Toks = append(st.Toks, t)
		if word == "INPUT" {
			readsInput = true
		}
		if st.Keyword == "INSERT" && depth == 0 {
			switch {
			case word == "SELECT" || word == "WITH":
				st.InsertSelect = true
			case word == "VALUES" && !st.InsertSelect && !namesTable(text, last):
				if t.End == len(text) && !complete {
					return nil, ErrIncomplete // VALUES might be the start of a longer word
				}
				st.DataFormat, st.Head, st.DataStart = "Values", text[:t.Start], t.End
				return st.finish(text, t.Start), nil
			case isWord(last, text, "FORMAT") && (t.Kind == Word || t.Kind == QuotedWord) && (!st.InsertSelect || readsInput):
				// In INSERT … SELECT only input() reads data, so "SELECT format FROM t" stays SQL.
				start, ok := dataStart(text, t.End)
				if !ok && !complete {
					return nil, ErrIncomplete
				}
				st.DataFormat, st.Head, st.DataStart = Ident(text, t), text[:last.Start], start
				st.Toks = st.Toks[:len(st.Toks)-2]
				return st.finish(text, last.Start), nil
			}
		}
		last = t
	}
	if !complete {
		return nil, ErrIncomplete
	}
	if st.Keyword == "" {
		return nil, errors.New("empty query")
	}
	st.findFormat(text)
	return st.finish(text, end), nil
}

// finish trims SQL to end and drops tokens past it.
func (st *Statement) finish(text string, end int) *Statement {
	st.SQL = text[:end]
	for len(st.Toks) > 0 && st.Toks[len(st.Toks)-1].Start >= end {
		st.Toks = st.Toks[:len(st.Toks)-1]
	}
	if st.OutputAt < 0 {
		// Right after the last token: past a trailing "-- comment" a clause added at the end
		// would be part of the comment.
		st.OutputAt = len(st.SQL)
		if n := len(st.Toks); n > 0 {
			st.OutputAt = st.Toks[n-1].End
		}
	}
	return st
}

// findFormat locates a trailing "FORMAT name [SETTINGS …]" clause at depth 0 of a query.
func (st *Statement) findFormat(text string) {
	toks := st.Toks
	for i := len(toks) - 2; i >= 1; i-- {
		t := toks[i]
		if !isWord(t, text, "FORMAT") || (toks[i+1].Kind != Word && toks[i+1].Kind != QuotedWord) {
			continue
		}
		if i+2 < len(toks) && !isWord(toks[i+2], text, "SETTINGS") {
			continue
		}
		if depthAt(text, toks[:i]) != 0 {
			continue
		}
		st.Format, st.OutputAt = Ident(text, toks[i+1]), t.Start
		return
	}
}

func depthAt(text string, toks []Token) int {
	d := 0
	for _, t := range toks {
		if t.Kind != Punct {
			continue
		}
		switch t.Text(text) {
		case "(", "[":
			d++
		case ")", "]":
			d--
		}
	}
	return d
}

// onlyTrailing reports whether nothing but spaces, comments and semicolons follow.
func onlyTrailing(text string, l *Lexer) (bool, error) {
	for {
		t, ok, err := l.Next()
		if err != nil {
			return false, err
		}
		if !ok {
			return true, nil
		}
		if t.Kind == Space || t.Kind == Comment || (t.Kind == Punct && t.Text(text) == ";") {
			continue
		}
		return false, nil
	}
}

// namesTable reports whether the token before VALUES makes VALUES a table name
// (INSERT INTO values …, INSERT INTO db.values …).
func namesTable(text string, prev Token) bool {
	return isWord(prev, text, "INTO") || isWord(prev, text, "TABLE") ||
		(prev.Kind == Punct && prev.Text(text) == ".")
}

// dataStart applies ClickHouse's rule for where inline data begins after "FORMAT name": skip
// spaces, tabs and form feeds, then one optional "\r" and one optional "\n". ok is false when the
// text ends before a byte that settles it.
func dataStart(text string, i int) (int, bool) {
	for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\f') {
		i++
	}
	if i < len(text) && text[i] == '\r' {
		i++
	}
	if i < len(text) && text[i] == '\n' {
		return i + 1, true
	}
	return i, i < len(text)
}

func isWord(t Token, text, upper string) bool {
	return t.Kind == Word && t.End-t.Start == len(upper) && strings.EqualFold(t.Text(text), upper)
}

// IsWord reports whether t is the bare keyword upper (case-insensitive).
func IsWord(t Token, text, upper string) bool { return isWord(t, text, upper) }
