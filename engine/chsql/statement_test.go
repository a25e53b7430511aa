package chsql

import (
	"errors"
	"strings"
	"testing"
)

func TestAnalyzeInsertData(t *testing.T) {
	cases := []struct {
		text, head, format, data string
		insertSelect             bool
	}{
		{"INSERT INTO t FORMAT CSV\n1,a\n", "INSERT INTO t ", "CSV", "1,a\n", false},
		// The byte after the newline is data, even when it is itself a newline (Native bodies).
		{"INSERT INTO t FORMAT Native\n\n\x00\x01", "INSERT INTO t ", "Native", "\n\x00\x01", false},
		{"insert into t format CSV 1,a", "insert into t ", "CSV", "1,a", false},
		{"INSERT INTO t FORMAT CSV \r\n1", "INSERT INTO t ", "CSV", "1", false},
		{"INSERT INTO t (a, b) SETTINGS x = 'FORMAT' VALUES (1, 'x'), (2, 'y')", "INSERT INTO t (a, b) SETTINGS x = 'FORMAT' ", "Values", " (1, 'x'), (2, 'y')", false},
		{"INSERT INTO values VALUES (1)", "INSERT INTO values ", "Values", " (1)", false},
		{"INSERT INTO db.values FORMAT TSV\n1", "INSERT INTO db.values ", "TSV", "1", false},
		{"/* c */ INSERT INTO `t` FORMAT `JSONEachRow`\n{}", "/* c */ INSERT INTO `t` ", "JSONEachRow", "{}", false},
		{"INSERT INTO t SELECT * FROM input('a UInt8') FORMAT CSV\n1\n", "INSERT INTO t SELECT * FROM input('a UInt8') ", "CSV", "1\n", true},
		// Data itself is never lexed: an unterminated quote in it is fine.
		{"INSERT INTO t FORMAT CSV\n'oops", "INSERT INTO t ", "CSV", "'oops", false},
	}
	for _, c := range cases {
		st, err := Analyze(c.text, true)
		if err != nil {
			t.Errorf("%q: %v", c.text, err)
			continue
		}
		if st.Keyword != "INSERT" || st.Head != c.head || st.DataFormat != c.format || c.text[st.DataStart:] != c.data || st.InsertSelect != c.insertSelect {
			t.Errorf("%q: head %q format %q data %q select %v", c.text, st.Head, st.DataFormat, c.text[st.DataStart:], st.InsertSelect)
		}
	}
}

func TestAnalyzeInsertWithoutData(t *testing.T) {
	for _, text := range []string{
		"INSERT INTO t SELECT number FROM numbers(3)",
		"INSERT INTO t SELECT format FROM s", // a column named format, not a FORMAT clause
		"INSERT INTO t SELECT * FROM (SELECT 1 AS values)",
	} {
		st, err := Analyze(text, true)
		if err != nil || st.DataFormat != "" || !st.InsertSelect || st.SQL != text {
			t.Errorf("%q: %+v %v", text, st, err)
		}
	}
}

func TestAnalyzeIncomplete(t *testing.T) {
	full := "INSERT INTO t FORMAT CSV\n1,2\n"
	for i := 0; i < len("INSERT INTO t FORMAT CSV"); i++ {
		if _, err := Analyze(full[:i], false); !errors.Is(err, ErrIncomplete) {
			t.Errorf("prefix %q: %v, want ErrIncomplete", full[:i], err)
		}
	}
	if st, err := Analyze(full[:len("INSERT INTO t FORMAT CSV\n")], false); err != nil || st.DataFormat != "CSV" {
		t.Errorf("up to the newline: %+v %v", st, err)
	}
	if _, err := Analyze("SELECT 'abc", false); !errors.Is(err, ErrIncomplete) {
		t.Errorf("open string: %v", err)
	}
	if _, err := Analyze("SELECT 1", false); !errors.Is(err, ErrIncomplete) {
		t.Errorf("a query is never complete before its end: %v", err)
	}
}

func TestAnalyzeQueries(t *testing.T) {
	cases := []struct {
		text, keyword, format, sqlBeforeOutput string
	}{
		{"SELECT 1", "SELECT", "", "SELECT 1"},
		{"SELECT 1 FORMAT JSON", "SELECT", "JSON", "SELECT 1 "},
		{"SELECT 1 FORMAT JSON SETTINGS max_threads = 1;", "SELECT", "JSON", "SELECT 1 "},
		{"SELECT format FROM t", "SELECT", "", "SELECT format FROM t"},
		{"SELECT 1 SETTINGS max_threads = 1 ;  -- done\n", "SELECT", "", "SELECT 1 SETTINGS max_threads = 1"},
		{"(SELECT 1) UNION ALL (SELECT 2 FORMAT CSV)", "(", "", "(SELECT 1) UNION ALL (SELECT 2 FORMAT CSV)"},
		{"WITH 'FORMAT JSON' AS f SELECT f format TSV", "WITH", "TSV", "WITH 'FORMAT JSON' AS f SELECT f "},
		{"show tables", "SHOW", "", "show tables"},
		{"SELECT number FROM system.numbers -- endless", "SELECT", "", "SELECT number FROM system.numbers"},
		{"SELECT 1 /* done */", "SELECT", "", "SELECT 1"},
	}
	for _, c := range cases {
		st, err := Analyze(c.text, true)
		if err != nil {
			t.Errorf("%q: %v", c.text, err)
			continue
		}
		if st.Keyword != c.keyword || st.Format != c.format || st.SQL[:st.OutputAt] != c.sqlBeforeOutput || st.DataFormat != "" {
			t.Errorf("%q: keyword %q format %q before output %q", c.text, st.Keyword, st.Format, st.SQL[:st.OutputAt])
		}
	}
}

func TestAnalyzeRefuses(t *testing.T) {
	for text, want := range map[string]error{
		"SELECT 1; SELECT 2":      ErrMultiStatement,
		"SELECT 1;; -- x\n; DROP": ErrMultiStatement,
	} {
		if _, err := Analyze(text, true); !errors.Is(err, want) {
			t.Errorf("%q: %v, want %v", text, err, want)
		}
	}
	for _, text := range []string{"SELECT 'x", "SELECT `x", "SELECT /* /* */ 1", "SELECT $a$ x", ""} {
		if _, err := Analyze(text, true); err == nil {
			t.Errorf("%q: no error", text)
		}
	}
}

func TestLexerValues(t *testing.T) {
	src := `'it''s \'ok\'\n' $$raw 'x'$$ $t$a$b$t$ ` + "`we``ird` '\\x66ile\\e' `\\x46ILE`"
	toks, err := Tokens(src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tok := range toks {
		switch tok.Kind {
		case String:
			got = append(got, StringValue(src, tok))
		case QuotedWord:
			got = append(got, Ident(src, tok))
		}
	}
	want := []string{"it's 'ok'\n", "raw 'x'", "a$b", "we`ird", "file\x1b", "FILE"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("values %q, want %q", got, want)
	}
}
