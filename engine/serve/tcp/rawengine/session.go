package rawengine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/dwmhq/dwm/engine/serve/nativefmt"
	"github.com/dwmhq/dwm/engine/serve/tcp"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// session is one connection's database and settings.
type session struct {
	e        *Engine
	db       string
	settings map[string]string
}

func (s *session) Close() error { return nil }

// Query runs st, or records it when it is a SET or USE of this session.
func (s *session) Query(ctx context.Context, st tcp.Statement, out func([]byte) error) (warehouse.Stats, error) {
	switch kind, arg := sessionStatement(st.SQL); kind {
	case "USE":
		db, ok := identifier(arg)
		if !ok {
			return warehouse.Stats{}, syntaxError("USE expects a database name: " + arg)
		}
		if err := s.check(ctx, db, nil); err != nil {
			return warehouse.Stats{}, err
		}
		s.db = db
		return warehouse.Stats{}, nil
	case "SET":
		return warehouse.Stats{}, s.set(ctx, arg)
	}
	settings, err := s.merged(st)
	if err != nil {
		return warehouse.Stats{}, err
	}
	q := chdb.RawQuery{SQL: st.SQL, Format: "Native", Database: s.db, Settings: settings}
	sent := false
	var stats warehouse.Stats
	if selectRe.MatchString(stripComments(st.SQL)) {
		// A SELECT streams: blocks reach the client as the engine makes them, in bounded memory.
		stats, err = s.e.raw.RawStream(ctx, q, func(b []byte) error {
			sent = true
			return out(b)
		})
		if sent || !notStreamable(err) {
			return s.endOfResult(ctx, st.SQL, settings, stats, err, sent, out)
		}
	}
	native, stats, err := s.e.raw.Raw(ctx, q)
	if err == nil && len(native) > 0 {
		sent = true
		err = out(native)
	}
	return s.endOfResult(ctx, st.SQL, settings, stats, err, sent, out)
}

// endOfResult sends the header of a result that had no rows: libchdb writes nothing for an
// empty result, not even the column names a client needs.
func (s *session) endOfResult(ctx context.Context, sql string, settings map[string]string, stats warehouse.Stats, err error, sent bool, out func([]byte) error) (warehouse.Stats, error) {
	if err != nil || sent {
		return stats, err
	}
	header, err := s.header(ctx, sql, settings)
	if err != nil || header == nil {
		return stats, err
	}
	return stats, out(header)
}

// notStreamable reports libchdb's refusal to stream a statement, which Raw then runs.
func notStreamable(err error) bool {
	var qe *warehouse.QueryError
	return errors.As(err, &qe) && qe.Code == codeBadArguments && strings.Contains(qe.Message, "Streaming query is not supported")
}

// resultRe matches statements that return a result set; selectRe those that describe as a subquery.
var (
	resultRe = regexp.MustCompile(`(?is)^\s*(\(\s*)*(SELECT|WITH|FROM|SHOW|DESC|DESCRIBE|EXISTS|EXPLAIN|VALUES)\b`)
	selectRe = regexp.MustCompile(`(?is)^\s*(\(\s*)*(SELECT|WITH|FROM)\b`)
)

// header returns an empty Native block with the names and types of sql's result, or nil when
// sql returns no result. A SELECT is described without running it again; a metadata statement
// (SHOW, DESCRIBE...) is cheap and run again in a format that keeps its names for no rows.
func (s *session) header(ctx context.Context, sql string, settings map[string]string) ([]byte, error) {
	body := stripComments(sql)
	if !resultRe.MatchString(body) {
		return nil, nil
	}
	var cols []nativefmt.Column
	if selectRe.MatchString(body) {
		rows, err := s.describe(ctx, "DESCRIBE TABLE (\n"+strings.TrimRight(strings.TrimSpace(sql), ";")+"\n)", settings)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			cols = append(cols, nativefmt.Column{Name: r[0], Type: r[1]})
		}
	} else {
		out, _, err := s.e.raw.Raw(ctx, chdb.RawQuery{SQL: sql, Format: "JSONCompact", Database: s.db, Settings: settings})
		if err != nil {
			return nil, err
		}
		var ans struct {
			Meta []struct{ Name, Type string } `json:"meta"`
		}
		if err := json.Unmarshal(out, &ans); err != nil {
			return nil, fmt.Errorf("rawengine: result columns: %w", err)
		}
		for _, m := range ans.Meta {
			cols = append(cols, nativefmt.Column{Name: m.Name, Type: m.Type})
		}
	}
	return nativefmt.AppendHeader(nil, 0, cols), nil
}

// InsertColumns describes the table: the listed columns, or every column an INSERT without a
// list takes (ordinary and DEFAULT ones; not MATERIALIZED, ALIAS or EPHEMERAL).
func (s *session) InsertColumns(ctx context.Context, ins tcp.Insert) ([]nativefmt.Column, error) {
	settings, err := s.merged(ins.Statement)
	if err != nil {
		return nil, err
	}
	rows, err := s.describe(ctx, "DESCRIBE TABLE "+ins.Table, settings)
	if err != nil {
		return nil, err
	}
	var cols []nativefmt.Column
	if ins.Columns == nil {
		for _, r := range rows {
			if r[2] == "" || r[2] == "DEFAULT" {
				cols = append(cols, nativefmt.Column{Name: r[0], Type: r[1]})
			}
		}
		return cols, nil
	}
	types := map[string]string{}
	for _, r := range rows {
		types[r[0]] = r[1]
	}
	for _, name := range ins.Columns {
		t, ok := types[name]
		if !ok {
			return nil, &warehouse.QueryError{Code: codeNoSuchColumn, Name: "NO_SUCH_COLUMN_IN_TABLE",
				Message: fmt.Sprintf("No such column %s in table %s.", name, ins.Table)}
		}
		cols = append(cols, nativefmt.Column{Name: name, Type: t})
	}
	return cols, nil
}

// Insert streams the client's blocks into one engine INSERT, in pieces of at most pieceBytes:
// the engine queues a few pieces while it parses, so memory stays bounded whatever the block
// sizes (Native data is a byte stream; pieces need not end where blocks do).
func (s *session) Insert(ctx context.Context, ins tcp.Insert, next func() ([]byte, error)) (warehouse.Stats, error) {
	settings, err := s.merged(ins.Statement)
	if err != nil {
		return warehouse.Stats{}, err
	}
	var block []byte
	pieces := func() ([]byte, error) {
		for len(block) == 0 {
			b, err := next()
			if err != nil {
				return nil, err
			}
			block = b
		}
		n := min(len(block), pieceBytes)
		piece := block[:n]
		block = block[n:]
		return piece, nil
	}
	return s.e.raw.RawInsert(ctx, chdb.RawQuery{SQL: ins.Prefix, Format: "Native", Database: s.db, Settings: settings}, pieces)
}

// pieceBytes bounds what one append hands the engine, which queues up to 16 of them.
const pieceBytes = 1 << 20

// merged is the session's settings, then the statement's, then its parameters as param_*.
func (s *session) merged(st tcp.Statement) (map[string]string, error) {
	out := make(map[string]string, len(s.settings)+len(st.Settings)+len(st.Params))
	for k, v := range s.settings {
		out[k] = v
	}
	for k, v := range st.Settings {
		out[k] = v
	}
	for k, v := range st.Params {
		out["param_"+k] = v
	}
	for k := range out {
		if err := checkSetting(k); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkSetting refuses settings that would outlive the statement on the engine's shared
// connections: readonly cannot be reset once set.
func checkSetting(name string) error {
	if strings.EqualFold(name, "readonly") {
		return &warehouse.QueryError{Code: codeNotImplemented, Name: "NOT_IMPLEMENTED",
			Message: "dwm serve does not support the readonly setting over the native protocol yet."}
	}
	return nil
}

// check runs a no-op with database and settings, which fails as USE or SET would.
func (s *session) check(ctx context.Context, database string, settings map[string]string) error {
	_, _, err := s.e.raw.Raw(ctx, chdb.RawQuery{SQL: "SELECT 1", Format: "Null", Database: database, Settings: settings})
	return err
}

func syntaxError(msg string) error {
	return &warehouse.QueryError{Code: codeSyntaxError, Name: "SYNTAX_ERROR", Message: msg}
}

// set applies SET a = 1, ... to the session, after the engine accepted the new settings.
func (s *session) set(ctx context.Context, arg string) error {
	as, ok := parseSet(arg)
	if !ok {
		return syntaxError("cannot parse SET " + arg)
	}
	next := make(map[string]string, len(s.settings)+len(as))
	for k, v := range s.settings {
		next[k] = v
	}
	for _, a := range as {
		if err := checkSetting(a.name); err != nil {
			return err
		}
		if a.reset {
			delete(next, a.name)
		} else {
			next[a.name] = a.value
		}
	}
	if err := s.check(ctx, s.db, next); err != nil {
		return err
	}
	s.settings = next
	return nil
}
