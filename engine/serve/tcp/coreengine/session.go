package coreengine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/dwmhq/dwm/engine/serve/core"
	"github.com/dwmhq/dwm/engine/serve/nativefmt"
	"github.com/dwmhq/dwm/engine/serve/tcp"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// ClickHouse error codes raised here.
const codeNoSuchColumn = 16

// session is one connection's private core session.
type session struct {
	cs *core.Session
	// insert is the INSERT InsertColumns prepared, which Insert runs with the client's blocks.
	insert *pendingInsert
}

// pendingInsert is a prepared INSERT waiting for its data.
type pendingInsert struct {
	p    *core.Prepared
	data *lateReader
}

func (s *session) Close() error {
	s.cs.Close()
	return nil
}

// run prepares and runs one statement, its output to out (nil: discarded).
func (s *session) run(ctx context.Context, st core.Statement, out io.Writer) (core.Result, error) {
	p, err := s.cs.Prepare(ctx, st)
	if err != nil {
		return core.Result{}, err
	}
	if out == nil {
		out = io.Discard
	}
	return p.Run(ctx, out)
}

func statement(st tcp.Statement, text string) core.Statement {
	return core.Statement{Text: text, Format: "Native", Settings: st.Settings, Params: st.Params, QueryID: st.QueryID}
}

func stats(r core.Result) warehouse.Stats {
	return warehouse.Stats{RowsRead: r.RowsRead, RowsWritten: r.RowsWritten, Elapsed: r.Elapsed}
}

// Query runs st through the core, its result streamed to out as Native blocks. libchdb writes
// nothing for a result without rows, not even the column names a client needs, so those are
// asked for afterwards.
func (s *session) Query(ctx context.Context, st tcp.Statement, out io.Writer) (warehouse.Stats, error) {
	p, err := s.cs.Prepare(ctx, statement(st, st.SQL))
	if err != nil {
		return warehouse.Stats{}, err
	}
	cw := &countingWriter{w: out}
	res, err := p.Run(ctx, cw)
	if err != nil || cw.n > 0 {
		return stats(res), err
	}
	cols, err := s.resultColumns(ctx, st, p)
	if err != nil || cols == nil {
		return stats(res), err
	}
	_, err = out.Write(nativefmt.AppendHeader(nil, 0, cols))
	return stats(res), err
}

// resultColumns names the columns of a statement's result, nil for a statement without one. A
// query is described without running it again; a metadata statement (SHOW, DESCRIBE, …) is
// cheap and runs again in a format that names its columns even without rows.
func (s *session) resultColumns(ctx context.Context, st tcp.Statement, p *core.Prepared) ([]nativefmt.Column, error) {
	switch p.Keyword {
	case "SELECT", "WITH", "(", "FROM":
		rows, err := s.describe(ctx, st, "DESCRIBE TABLE (\n"+p.SQL+"\n)")
		if err != nil {
			return nil, err
		}
		cols := make([]nativefmt.Column, len(rows))
		for i, r := range rows {
			cols[i] = nativefmt.Column{Name: r[0], Type: r[1]}
		}
		return cols, nil
	case "SHOW", "DESC", "DESCRIBE", "EXISTS", "EXPLAIN":
		var ans struct {
			Meta []struct{ Name, Type string } `json:"meta"`
		}
		if err := s.jsonCompact(ctx, st, p.SQL, &ans); err != nil {
			return nil, err
		}
		cols := []nativefmt.Column{}
		for _, m := range ans.Meta {
			cols = append(cols, nativefmt.Column{Name: m.Name, Type: m.Type})
		}
		return cols, nil
	}
	return nil, nil
}

// describe runs a DESCRIBE statement and returns each row's name, type and default kind.
func (s *session) describe(ctx context.Context, st tcp.Statement, sql string) ([][3]string, error) {
	var ans struct {
		Data [][]string `json:"data"`
	}
	if err := s.jsonCompact(ctx, st, sql, &ans); err != nil {
		return nil, err
	}
	rows := make([][3]string, 0, len(ans.Data))
	for _, r := range ans.Data {
		if len(r) < 3 {
			return nil, fmt.Errorf("coreengine: %s: short row %q", sql, r)
		}
		rows = append(rows, [3]string{r[0], r[1], r[2]})
	}
	return rows, nil
}

// jsonCompact runs sql with st's settings and parameters and decodes its JSONCompact answer.
func (s *session) jsonCompact(ctx context.Context, st tcp.Statement, sql string, v any) error {
	c := statement(st, sql)
	c.Format, c.QueryID = "JSONCompact", "" // the client's query_id names its own statement
	var out bytes.Buffer
	if _, err := s.run(ctx, c, &out); err != nil {
		return err
	}
	if err := json.Unmarshal(out.Bytes(), v); err != nil {
		return fmt.Errorf("coreengine: %s: %w", sql, err)
	}
	return nil
}

// InsertColumns prepares the INSERT, so a statement the sandbox, a read-only user or the table
// refuses fails before the client sends data, and returns the columns it takes: the listed ones,
// or every column an INSERT without a list takes (ordinary and DEFAULT ones; not MATERIALIZED,
// ALIAS or EPHEMERAL).
func (s *session) InsertColumns(ctx context.Context, ins tcp.Insert) ([]nativefmt.Column, error) {
	s.insert = nil
	if s.cs.User().Readonly {
		// The engine would refuse it only once the data flows; say so before the client sends.
		return nil, core.Errorf(core.CodeReadonly, "%s: Cannot execute query in readonly mode", s.cs.User().Name)
	}
	data := &lateReader{}
	c := statement(ins.Statement, ins.Prefix+" FORMAT Native\n")
	c.Format, c.Body = "", data
	p, err := s.cs.Prepare(ctx, c)
	if err != nil {
		return nil, err
	}
	rows, err := s.describe(ctx, ins.Statement, "DESCRIBE TABLE "+ins.Table)
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
	} else {
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
	}
	s.insert = &pendingInsert{p: p, data: data}
	return cols, nil
}

// Insert runs the INSERT InsertColumns prepared, streaming data (the client's blocks as they
// arrive) into the engine.
func (s *session) Insert(ctx context.Context, ins tcp.Insert, data io.Reader) (warehouse.Stats, error) {
	pi := s.insert
	s.insert = nil
	if pi == nil {
		return warehouse.Stats{}, errors.New("coreengine: Insert without InsertColumns")
	}
	pi.data.r = data
	res, err := pi.p.Run(ctx, io.Discard)
	return stats(res), err
}

// lateReader reads from r, which is set once the data is about to arrive.
type lateReader struct{ r io.Reader }

func (l *lateReader) Read(p []byte) (int, error) {
	if l.r == nil {
		return 0, io.EOF
	}
	return l.r.Read(p)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
