package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/chsql"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/serve/sandbox"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// Statement is one request's statement and the state it runs with.
type Statement struct {
	// Text is the statement, continued by Body when Body is set: ClickHouse's HTTP interface
	// joins its query parameter and its request body with a newline, so an INSERT's data may
	// follow the statement in Body. Either may be empty.
	Text string
	Body io.Reader
	// DefaultFormat is the output format when the statement has no FORMAT clause
	// ("" means TabSeparated).
	DefaultFormat string
	// Format, when set, is the output format whatever the statement says: a FORMAT clause is
	// dropped (the native protocol answers in Native blocks; a client's FORMAT is for its own
	// printing).
	Format string
	// Database is current for this statement only.
	Database string
	// Settings apply to this statement only (a SET statement in a named session lasts).
	Settings map[string]string
	// Params are query parameters for {name:Type} placeholders, bound for this statement only.
	Params map[string]string
	// QueryID names the statement for KILL QUERY; "" makes one up.
	QueryID string
	// Readonly is the request's own read-only level, 2 for an HTTP GET (ClickHouse's rule):
	// reads and SET only.
	Readonly int
}

// Prepared is a statement read and checked, ready to run.
type Prepared struct {
	s        *Session
	st       Statement
	an       *chsql.Statement
	data     io.Reader // an INSERT's data: the rest of the text, then the rest of Body
	killID   string    // set for KILL QUERY WHERE query_id = '…', which the core answers
	QueryID  string
	Format   string // the output format
	Keyword  string // the statement's first keyword, upper case
	SQL      string // the statement as it runs: without an INSERT's data or a dropped FORMAT clause
	HasInput bool   // the statement reads data from the request
}

// Result is what a statement reports when it ends.
type Result struct {
	QueryID     string
	RowsRead    uint64
	RowsWritten uint64
	Elapsed     time.Duration
}

// Prepare reads the statement from st.Text and st.Body (an INSERT only up to its data), and
// checks it against the sandbox and the request's read-only level.
func (s *Session) Prepare(ctx context.Context, st Statement) (*Prepared, error) {
	text, rest, an, err := s.core.read(st)
	if err != nil {
		return nil, err
	}
	p := &Prepared{s: s, st: st, an: an, QueryID: st.QueryID, Keyword: an.Keyword}
	if p.QueryID == "" {
		p.QueryID = newQueryID()
	}
	p.Format = an.Format
	if p.Format == "" {
		p.Format = st.DefaultFormat
	}
	if p.Format == "" {
		p.Format = "TabSeparated"
	}
	if an.Keyword == "KILL" {
		if id, ok := killByQueryID(an); ok {
			p.killID = id
			return p, nil
		}
	}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	if err := s.check(an); err != nil {
		return nil, err
	}
	if err := s.checkValues(st); err != nil {
		return nil, err
	}
	if err := p.checkReadonly(); err != nil {
		return nil, err
	}
	if an.DataFormat != "" && an.InsertSelect {
		// libchdb streams only plain inserts, and given INSERT … SELECT … FROM input() with its
		// data inline after FORMAT it hands input() nothing and reports success having inserted
		// no row (26.7.3), so the statement is refused rather than run.
		return nil, Errorf(CodeNotImplemented, "INSERT … SELECT … FROM input() with data is not supported by the embedded "+
			"engine (it would insert nothing); insert the data into a table, then INSERT … SELECT from it")
	}
	if an.DataFormat != "" {
		p.HasInput = true
		p.data = io.MultiReader(strings.NewReader(text[an.DataStart:]), rest)
	}
	if st.Format != "" {
		p.Format = st.Format
		dropFormat(an)
	}
	p.SQL = an.SQL
	return p, nil
}

// dropFormat removes a query's FORMAT clause (the keyword and the name; a SETTINGS clause after
// them stays), so the output format is the one the call names.
func dropFormat(an *chsql.Statement) {
	if an.Format == "" {
		return
	}
	for i, t := range an.Toks {
		if t.Start == an.OutputAt && i+1 < len(an.Toks) {
			an.SQL = an.SQL[:t.Start] + an.SQL[an.Toks[i+1].End:]
			an.Toks = nil // offsets past the cut no longer hold
			an.Format = ""
			return
		}
	}
}

// check applies the sandbox. Text whose kind the sandbox refuses but that the engine's own parser
// cannot read at all (a typo) goes on, to fail with the parser's syntax error.
func (s *Session) check(an *chsql.Statement) error {
	var refusal *sandbox.Refusal
	err := s.core.opts.Sandbox.Check(an)
	if !errors.As(err, &refusal) {
		return err
	}
	if refusal.Kind {
		if class, n, cerr := s.conn.Classify(an.SQL); cerr == nil && class == chdb.ClassUnknown && n == 0 {
			return nil
		}
	}
	if refusal.Engine != "" && !s.engineExists(refusal.Engine) {
		return nil
	}
	return Errorf(CodeAccessDenied, "%s (dwm serve's sandbox; see docs/serve.md)", refusal.Reason)
}

// checkValues applies the sandbox to query parameter and setting values, which reach the engine
// outside the statement's text.
func (s *Session) checkValues(st Statement) error {
	values := make([]string, 0, len(st.Params)+len(st.Settings))
	for _, v := range st.Params {
		values = append(values, v)
	}
	for _, v := range st.Settings {
		values = append(values, v)
	}
	var refusal *sandbox.Refusal
	if err := s.core.opts.Sandbox.CheckValues(values...); errors.As(err, &refusal) {
		return Errorf(CodeAccessDenied, "%s (in a query parameter or setting; dwm serve's sandbox, see docs/serve.md)", refusal.Reason)
	}
	return nil
}

// engineExists reports whether the engine has a table or database engine called name, in any
// case: some engines resolve case-insensitively, and those must stay refused.
func (s *Session) engineExists(name string) bool {
	var out bytes.Buffer
	q := chdb.Stmt{SQL: "SELECT count() FROM (SELECT name FROM system.table_engines UNION ALL SELECT name FROM system.database_engines) WHERE lower(name) = lower({n:String})",
		Params: map[string]string{"n": name}}
	if _, err := s.conn.Query(context.Background(), q, &out); err != nil {
		return true // unknown: keep refusing
	}
	return strings.TrimSpace(out.String()) != "0"
}

// read reads the statement's text: all of it for a query, an INSERT up to its data.
func (c *Core) read(st Statement) (string, io.Reader, *chsql.Statement, error) {
	var buf bytes.Buffer
	buf.WriteString(st.Text)
	body := st.Body
	if body == nil {
		body = strings.NewReader("")
	}
	chunk := make([]byte, 64<<10)
	first, eof := true, false
	for {
		an, err := chsql.Analyze(buf.String(), eof)
		switch {
		case err == nil:
			return buf.String(), body, an, nil
		case errors.Is(err, chsql.ErrMultiStatement):
			return "", nil, nil, Errorf(CodeSyntaxError, "Multi-statements are not allowed")
		case !errors.Is(err, chsql.ErrIncomplete):
			if buf.Len() == 0 || strings.TrimSpace(buf.String()) == "" {
				return "", nil, nil, Errorf(CodeSyntaxError, "Empty query")
			}
			return "", nil, nil, Errorf(CodeSyntaxError, "Syntax error: %v", err)
		}
		if buf.Len() > c.limits.MaxQuerySize {
			return "", nil, nil, Errorf(CodeSyntaxError, "Max query size exceeded: dwm serve reads at most %d bytes of statement text (an INSERT's data does not count)", c.limits.MaxQuerySize)
		}
		n, rerr := body.Read(chunk)
		if n > 0 {
			if first && buf.Len() > 0 {
				buf.WriteByte('\n')
			}
			first = false
			buf.Write(chunk[:n])
		}
		if rerr == io.EOF {
			eof = true
		} else if rerr != nil {
			return "", nil, nil, rerr
		}
	}
}

// killByQueryID recognises KILL QUERY WHERE query_id = '…' [SYNC|ASYNC|TEST], the form clients
// and dwm's server target use to cancel their own statements.
func killByQueryID(an *chsql.Statement) (string, bool) {
	t, src := an.Toks, an.SQL
	if len(t) < 6 || !chsql.IsWord(t[1], src, "QUERY") || !chsql.IsWord(t[2], src, "WHERE") ||
		!chsql.IsWord(t[3], src, "QUERY_ID") || t[4].Text(src) != "=" || t[5].Kind != chsql.String {
		return "", false
	}
	for _, x := range t[6:] {
		if !chsql.IsWord(x, src, "SYNC") && !chsql.IsWord(x, src, "ASYNC") && !chsql.IsWord(x, src, "TEST") {
			return "", false
		}
	}
	return chsql.StringValue(src, t[5]), true
}

// checkReadonly enforces the request's read-only level where the engine cannot: a named
// session's connection lives on, and readonly, once set on it, could never be lowered again.
// ClickHouse's own parser classifies the statement; only reads, USE and SET (not of readonly)
// pass. One-statement sessions get the real setting instead (see Run).
func (p *Prepared) checkReadonly() error {
	level := p.readonlyLevel()
	if level == 0 || !p.s.Named() {
		return nil
	}
	class, _, err := p.s.conn.Classify(p.an.SQL)
	if err != nil {
		return err
	}
	switch {
	case class == chdb.ClassReadOnly:
		return nil
	case p.an.Keyword == "USE":
		return nil
	case p.an.Keyword == "SET" && level == 2 && !setsReadonly(p.an):
		return nil
	}
	return Errorf(CodeReadonly, "Cannot execute query in readonly mode. For queries over HTTP, method GET implies readonly. You should use method POST for modifying queries")
}

// readonlyLevel is the request's own level: GET's, or a readonly setting sent with it.
func (p *Prepared) readonlyLevel() int {
	level := p.st.Readonly
	if v, ok := p.st.Settings["readonly"]; ok && v != "0" && level == 0 {
		level = 1
		if v == "2" {
			level = 2
		}
	}
	return level
}

func setsReadonly(an *chsql.Statement) bool {
	for i, t := range an.Toks {
		if chsql.IsWord(t, an.SQL, "READONLY") && i+1 < len(an.Toks) && an.Toks[i+1].Text(an.SQL) == "=" {
			return true
		}
	}
	return false
}

// Run runs the prepared statement, writing its output to out as the engine produces it.
func (p *Prepared) Run(ctx context.Context, out io.Writer) (Result, error) {
	s, c := p.s, p.s.core
	res := Result{QueryID: p.QueryID}
	if p.killID != "" {
		c.kill(s.user.Name, p.killID)
		return res, nil
	}
	if s.Named() { // a one-statement session took its slot when it connected
		release, err := c.slots.acquire(ctx, s.user.Name, c.limits.QueueWait)
		if err != nil {
			return res, err
		}
		defer release()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	forget, err := c.register(s.user.Name, p.QueryID, cancel)
	if err != nil {
		return res, err
	}
	defer forget()

	restore, err := p.applyState(ctx)
	if err != nil {
		return res, err
	}
	if err := p.checkPII(ctx); err != nil {
		_ = restore()
		return res, err
	}
	start := time.Now()
	stats, err := p.run(ctx, out)
	if rerr := restore(); rerr != nil && err == nil {
		err = rerr
	}
	res.RowsRead, res.RowsWritten, res.Elapsed = stats.RowsRead, stats.RowsWritten, time.Since(start)
	var qe *warehouse.QueryError
	if (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) && !errors.As(err, &qe) {
		err = Errorf(CodeQueryWasCancelled, "Query was cancelled.")
	}
	return res, err
}

// run picks how the statement reaches the engine.
func (p *Prepared) run(ctx context.Context, out io.Writer) (warehouse.Stats, error) {
	conn, an := p.s.conn, p.an
	q := chdb.Stmt{SQL: an.SQL, Format: p.Format, Params: p.st.Params}
	switch {
	case an.DataFormat != "":
		return conn.Insert(ctx, chdb.Stmt{SQL: an.Head, Format: an.DataFormat, Params: p.st.Params}, p.data)
	case streams[an.Keyword]:
		stats, err := conn.QueryStream(ctx, q, an.OutputAt, out)
		var qe *warehouse.QueryError
		if errors.As(err, &qe) && qe.Code == CodeSyntaxError {
			// Whatever the INTO OUTFILE we added did to the text, the client deserves the error
			// for its own statement, at its own positions.
			return conn.Query(ctx, q, out)
		}
		return stats, err
	}
	return conn.Query(ctx, q, out)
}

// streams are the statements whose output may be large: they stream through QueryStream.
// Others (SHOW, DESCRIBE, DDL, …) answer little and run as one call.
var streams = map[string]bool{"SELECT": true, "WITH": true, "(": true, "FROM": true}

var settingNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// applyState applies the request's database and settings, returning what undoes them. A
// one-statement session's connection is thrown away afterwards, so nothing needs undoing; a
// named session's previous values are read first and put back after the statement.
func (p *Prepared) applyState(ctx context.Context) (func() error, error) {
	conn, named := p.s.conn, p.s.Named()
	names := make([]string, 0, len(p.st.Settings))
	for k := range p.st.Settings {
		if !settingNameRe.MatchString(k) {
			return nil, Errorf(CodeUnknownSetting, "Setting %q is not a setting name", k)
		}
		if k != "readonly" { // applied last, or for a named session enforced by checkReadonly
			names = append(names, k)
		}
	}
	sort.Strings(names)
	values := make(map[string]string, len(names)+1)
	for _, k := range names {
		values[k] = p.st.Settings[k]
	}
	if level := p.readonlyLevel(); level > 0 && !named && !p.s.user.Readonly {
		// After the request's own settings, as ClickHouse checks them against GET's level.
		names = append(names, "readonly")
		values["readonly"] = strconv.Itoa(level)
	}
	var undo []string
	// A one-statement session's connection is new, in the served database already (ClickHouse
	// clients name it in every request): a USE would only cost another engine statement.
	if p.st.Database != "" && (named || p.st.Database != conn.Database()) {
		if named {
			var cur bytes.Buffer
			if _, err := conn.Query(ctx, chdb.Stmt{SQL: "SELECT currentDatabase()", Format: "TSV"}, &cur); err != nil {
				return nil, err
			}
			undo = append(undo, "USE "+manifest.QuoteIdent(strings.TrimSuffix(cur.String(), "\n")))
		}
		if _, err := conn.Exec(ctx, "USE "+manifest.QuoteIdent(p.st.Database)); err != nil {
			return nil, err
		}
	}
	if named && len(names) > 0 {
		prev, err := currentSettings(ctx, conn, names)
		if err != nil {
			return nil, err
		}
		undo = append(undo, prev...)
	}
	for _, k := range names {
		if _, err := conn.Exec(ctx, "SET "+k+" = "+manifest.QuoteString(values[k])); err != nil {
			p.undo(undo)
			return nil, err
		}
	}
	return func() error { return p.undo(undo) }, nil
}

// undo runs the statements that restore a named session; if one fails, the session's state is
// unknown, so it is closed rather than reused.
func (p *Prepared) undo(stmts []string) error {
	for _, s := range stmts {
		if _, err := p.s.conn.Exec(context.Background(), s); err != nil {
			p.s.CloseAfter()
			return fmt.Errorf("restore session state: %w", err)
		}
	}
	return nil
}

// currentSettings returns the SET statements that put names back as they are now.
func currentSettings(ctx context.Context, conn *chdb.Conn, names []string) ([]string, error) {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = manifest.QuoteString(n)
	}
	var out bytes.Buffer
	sql := "SELECT name, value, changed FROM system.settings WHERE name IN (" + strings.Join(quoted, ", ") + ") FORMAT TSVRaw"
	if _, err := conn.Query(ctx, chdb.Stmt{SQL: sql}, &out); err != nil {
		return nil, err
	}
	var undo []string
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			continue
		}
		if f[2] == "1" {
			undo = append(undo, "SET "+f[0]+" = "+manifest.QuoteString(f[1]))
		} else {
			undo = append(undo, "SET "+f[0]+" = DEFAULT")
		}
	}
	return undo, nil
}
