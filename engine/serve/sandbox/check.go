package sandbox

import (
	"strings"

	"github.com/dwmhq/dwm/engine/chsql"
)

// Refusal is a statement the sandbox refuses; Reason says what and why, for the client.
type Refusal struct {
	Reason string
	// Kind is set when the statement's kind alone was refused. A caller may let the engine's
	// parser have the last word on text that is no statement at all (a typo), which only ever
	// fails with the parser's syntax error.
	Kind bool
	// Engine names the refused engine. A caller may let the engine report one that does not
	// exist (UNKNOWN_STORAGE): it can do nothing.
	Engine string
}

func (r *Refusal) Error() string { return r.Reason }

// statements are the statement kinds a served warehouse accepts, by first keyword. Anything else
// (SYSTEM, KILL, ATTACH, DETACH, BACKUP, RESTORE, GRANT, transactions, …) controls the engine or
// the machine rather than the data, and is refused.
var statements = map[string]bool{
	"SELECT": true, "WITH": true, "(": true, "FROM": true, "INSERT": true, "CREATE": true, "ALTER": true,
	"DROP": true, "RENAME": true, "EXCHANGE": true, "TRUNCATE": true, "OPTIMIZE": true, "SHOW": true,
	"DESC": true, "DESCRIBE": true, "EXISTS": true, "EXPLAIN": true, "CHECK": true, "SET": true, "USE": true,
	"DELETE": true, "UPDATE": true, "UNDROP": true,
}

// forbiddenCalls are functions, table functions and engines that reach files, programs or
// disks without a grant that could stop them: file() (also a scalar function that returns a
// file's contents), executable() and the Executable engines (programs), disk() (a table's
// storage at any path or URL), catboostEvaluate() (loads a model file) and eval() (runs SQL text).
var forbiddenCalls = map[string]bool{
	"file": true, "filecluster": true, "executable": true, "executablepool": true, "disk": true,
	"catboostevaluate": true, "eval": true,
}

// engines are the table and database engines a served warehouse may create: storage inside its
// data directory. Others reach the network or other programs (Kafka, URL, MySQL, Distributed, …),
// write outside the data directory (EmbeddedRocksDB's path), or run SQL given as data
// (QueryRunner), and not every one of them is gated by a grant in libchdb.
var engines = map[string]bool{
	"mergetree": true, "replacingmergetree": true, "summingmergetree": true, "aggregatingmergetree": true,
	"collapsingmergetree": true, "versionedcollapsingmergetree": true, "graphitemergetree": true,
	"coalescingmergetree": true, "log": true, "tinylog": true, "stripelog": true, "memory": true,
	"buffer": true, "null": true, "set": true, "join": true, "merge": true, "generaterandom": true,
	"dictionary": true, "atomic": true, "ordinary": true,
}

// AllowedEngines lists the engines Check accepts, in lower case.
func AllowedEngines() []string {
	out := make([]string, 0, len(engines))
	for e := range engines {
		out = append(out, e)
	}
	return out
}

// engineClauseEnd are the words that may follow an engine name given without "=" and arguments.
var engineClauseEnd = map[string]bool{
	"ORDER": true, "PARTITION": true, "PRIMARY": true, "SAMPLE": true, "TTL": true, "SETTINGS": true,
	"COMMENT": true, "AS": true, "EMPTY": true,
}

// Check refuses a statement the sandbox does not allow. st is the statement's analysis; an
// INSERT's inline data is never looked at.
func (p Policy) Check(st *chsql.Statement) error {
	if p.Off {
		return nil
	}
	if !statements[st.Keyword] {
		return &Refusal{Kind: true, Reason: st.Keyword + " statements are not allowed: they control the engine or the machine, not the warehouse's data"}
	}
	if err := checkCalls(st.SQL, st.Toks, 0); err != nil {
		return err
	}
	toks, src := st.Toks, st.SQL
	for i := range toks {
		switch {
		case wordAt(toks, src, i, "INTO") && wordAt(toks, src, i+1, "OUTFILE"):
			return &Refusal{Reason: "INTO OUTFILE is not allowed: it writes a file on the server's machine"}
		case wordAt(toks, src, i, "FROM") && wordAt(toks, src, i+1, "INFILE") && i+2 < len(toks) && toks[i+2].Kind == chsql.String:
			return &Refusal{Reason: "FROM INFILE is not allowed: it reads a file on the server's machine; send the data in the request"}
		}
	}
	if st.Keyword == "CREATE" { // ALTER cannot change a table's engine
		if err := checkEngines(toks, src); err != nil {
			return err
		}
	}
	return nil
}

// maxNesting bounds how deep string literals inside string literals are read as SQL.
const maxNesting = 4

// checkCalls refuses forbidden calls in toks and, read as SQL in turn, in every string literal
// among them: ClickHouse evaluates SQL that arrives as a string in several places (a table
// function's structure, 'a String DEFAULT file(…)'; a setting such as additional_table_filters),
// so a string is treated as SQL wherever it lexes as SQL.
func checkCalls(src string, toks []chsql.Token, depth int) error {
	for i, t := range toks {
		switch {
		case (t.Kind == chsql.Word || t.Kind == chsql.QuotedWord) && punctAt(toks, src, i+1, "("):
			if name := strings.ToLower(chsql.Ident(src, t)); forbiddenCalls[name] {
				return &Refusal{Reason: name + "() is not allowed: it reaches the machine's files, programs or disks"}
			}
		case t.Kind == chsql.String && depth < maxNesting && !isCommentText(toks, src, i):
			if err := checkSQLText(chsql.StringValue(src, t), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// isCommentText reports whether the string at i is a comment's text (COMMENT 'x', or ALTER's
// COMMENT COLUMN [IF EXISTS] c 'x'): ClickHouse stores it and never evaluates it, and model and
// column descriptions (persist_docs) say things like "read from a file (CSV)".
func isCommentText(toks []chsql.Token, src string, i int) bool {
	if wordAt(toks, src, i-1, "COMMENT") {
		return true
	}
	j := i - 2 // the column's name is at i-1
	if wordAt(toks, src, j, "EXISTS") && wordAt(toks, src, j-1, "IF") {
		j -= 2
	}
	return isName(toks, i-1) && wordAt(toks, src, j, "COLUMN") && wordAt(toks, src, j-1, "COMMENT")
}

// checkSQLText lexes text and checks it as SQL; text that does not lex is not SQL to ClickHouse
// either, and is let through.
func checkSQLText(text string, depth int) error {
	all, err := chsql.Tokens(text)
	if err != nil {
		return nil
	}
	toks := all[:0]
	for _, t := range all {
		if t.Kind != chsql.Space && t.Kind != chsql.Comment {
			toks = append(toks, t)
		}
	}
	return checkCalls(text, toks, depth)
}

// CheckValues refuses query parameter and setting values that carry a forbidden call: they reach
// the engine outside the statement's text, and may be used as SQL there (a structure string, a
// filter setting).
func (p Policy) CheckValues(values ...string) error {
	if p.Off {
		return nil
	}
	for _, v := range values {
		if err := checkSQLText(v, 1); err != nil {
			return err
		}
	}
	return nil
}

// checkEngines refuses engines outside the allowed list, and tables over table functions
// (CREATE TABLE t AS s3(…)), whose reads libchdb does not check against the source grants.
func checkEngines(toks []chsql.Token, src string) error {
	depth := 0
	for i, t := range toks {
		if t.Kind == chsql.Punct {
			switch t.Text(src) {
			case "(", "[":
				depth++
			case ")", "]":
				depth--
			}
			continue
		}
		if depth != 0 {
			continue
		}
		if wordAt(toks, src, i, "AS") && isName(toks, i+1) && punctAt(toks, src, i+2, "(") {
			return &Refusal{Reason: "tables over table functions are not allowed (CREATE TABLE … AS " +
				chsql.Ident(src, toks[i+1]) + "(…)); create a table and INSERT … SELECT into it"}
		}
		if !wordAt(toks, src, i, "ENGINE") {
			continue
		}
		j := i + 1
		explicit := punctAt(toks, src, j, "=")
		if explicit {
			j++
		}
		if !isName(toks, j) {
			continue // engine = 'x' compares or assigns a column called engine
		}
		name := chsql.Ident(src, toks[j])
		if !explicit && !punctAt(toks, src, j+1, "(") && j+1 < len(toks) &&
			!(toks[j+1].Kind == chsql.Word && engineClauseEnd[strings.ToUpper(toks[j+1].Text(src))]) {
			continue // a column called engine (SELECT engine FROM system.tables), not a clause
		}
		if !engines[strings.ToLower(name)] {
			return &Refusal{Engine: name, Reason: "engine " + name + " is not allowed: a served warehouse keeps its tables in its own " +
				"data directory (MergeTree family, Log family, Memory, Buffer, Null, Set, Join, Merge, Dictionary, GenerateRandom)"}
		}
	}
	return nil
}

func wordAt(toks []chsql.Token, src string, i int, upper string) bool {
	return i >= 0 && i < len(toks) && chsql.IsWord(toks[i], src, upper)
}

func punctAt(toks []chsql.Token, src string, i int, p string) bool {
	return i >= 0 && i < len(toks) && toks[i].Kind == chsql.Punct && toks[i].Text(src) == p
}

func isName(toks []chsql.Token, i int) bool {
	return i >= 0 && i < len(toks) && (toks[i].Kind == chsql.Word || toks[i].Kind == chsql.QuotedWord)
}
