package chdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// Conn is an engine connection of its own, outside the pool, for a protocol front end: the
// settings, current database and temporary tables a statement leaves on it stay there until
// Close, and no other caller's statement ever runs on it. dwm serve gives each client session
// one Conn and each one-statement request a fresh one that it closes afterwards, which is what
// makes requests unable to see each other's state. A connect is cheap: 1,000 connect, query,
// close cycles took 2 s on 2 vCPU and left the process's RSS unchanged (libchdb 26.7.3;
// TestConnectCyclesDoNotGrowMemory, BenchmarkConn).
//
// A Conn runs one call at a time; a second call waits for the first. Calls whose context ends
// are killed as Warehouse calls are.
type Conn struct {
	w  *Warehouse
	c  *conn
	mu sync.Mutex // held for the whole of a libchdb call, released by the call's goroutine
}

// Database is the database current on a new Conn (Options.Database; "" for chDB's default),
// which stays current until the Conn runs a USE.
func (c *Conn) Database() string { return c.w.database }

// Stmt is one statement for a Conn.
type Stmt struct {
	// SQL is one statement. For Insert it is the INSERT without FORMAT clause or data.
	SQL string
	// Format is the output format when SQL has no FORMAT clause, and for Insert the data's format.
	Format string
	// Params are query parameters ({name:Type} placeholders, names without "param_"). The engine
	// binds them for this call only.
	Params map[string]string
}

// Connect opens a Conn with the setup every pooled connection has (Options' settings and
// database).
func (w *Warehouse) Connect(ctx context.Context) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	w.connsMu.Lock()
	defer w.connsMu.Unlock()
	if w.closed {
		return nil, errClosed
	}
	c, err := connect(w.lib, w.dir)
	if err != nil {
		return nil, fmt.Errorf("chdb connect: %w", err)
	}
	for _, stmt := range w.setup {
		if _, err := c.exec(stmt); err != nil {
			c.close()
			return nil, fmt.Errorf("chdb connect: setup: %w", err)
		}
	}
	cn := &Conn{w: w, c: c}
	if w.ownConns == nil {
		w.ownConns = map[*Conn]struct{}{}
	}
	w.ownConns[cn] = struct{}{}
	return cn, nil
}

// closeOwnConns closes every Conn still open, waiting for their running calls.
func (w *Warehouse) closeOwnConns() {
	w.connsMu.Lock()
	w.closed = true
	conns := make([]*Conn, 0, len(w.ownConns))
	for c := range w.ownConns {
		conns = append(conns, c)
	}
	w.connsMu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// Close waits for a running call and closes the connection. It is safe to call more than once.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c == nil {
		return nil
	}
	c.c.close()
	c.c = nil
	c.w.connsMu.Lock()
	delete(c.w.ownConns, c)
	c.w.connsMu.Unlock()
	return nil
}

// errConnClosed is returned by calls on a closed Conn.
var errConnClosed = errors.New("chdb: connection is closed")

// lock takes the Conn for one call; the caller hands c.mu.Unlock to callOn as its release.
func (c *Conn) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	if c.c == nil {
		c.mu.Unlock()
		return errConnClosed
	}
	return nil
}

// Exec runs one statement and discards its output (SET, USE and the like).
func (c *Conn) Exec(ctx context.Context, sql string) (warehouse.Stats, error) {
	r, err := c.call(ctx, sql, func(cc *conn, tagged string) outcome {
		r, err := cc.lib.query(cc.h, tagged, "Null")
		return finishCall(cc, r, err)
	})
	return r.stats(), err
}

// Query runs one statement and writes its whole output to out. libchdb buffers the output
// until the statement ends, so Query suits statements with small answers; QueryStream streams.
func (c *Conn) Query(ctx context.Context, q Stmt, out io.Writer) (warehouse.Stats, error) {
	r, err := c.call(ctx, q.SQL, func(cc *conn, tagged string) outcome {
		r, err := cc.lib.queryParams(cc.h, tagged, orTSV(q.Format), q.Params)
		return finishCall(cc, r, err)
	})
	if err != nil {
		return warehouse.Stats{}, err
	}
	if _, err := io.WriteString(out, r.out); err != nil {
		return r.stats(), fmt.Errorf("chdb: write output: %w", err)
	}
	return r.stats(), nil
}

// call runs fn on the connection with the kill-on-cancel behaviour of Warehouse calls.
func (c *Conn) call(ctx context.Context, sql string, fn func(cc *conn, tagged string) outcome) (rawResult, error) {
	if err := c.lock(ctx); err != nil {
		return rawResult{}, err
	}
	return c.w.callOn(ctx, c.c, sql, fn, c.mu.Unlock)
}

// finishCall flushes a failed statement's partial output (see conn.flush).
func finishCall(cc *conn, r rawResult, err error) outcome {
	if err != nil || r.err != "" {
		cc.flush()
	}
	return outcome{r: r, err: err}
}

func orTSV(format string) string {
	if format == "" {
		return "TabSeparated"
	}
	return format
}

// QueryClass is what a statement does to state that outlives it, as ClickHouse's own parser
// decides (chdb_classify_query_n).
type QueryClass uint32

// Query classes, in the order chdb.h defines them.
const (
	ClassReadOnly       QueryClass = iota // SELECT, SHOW, DESCRIBE, EXPLAIN, EXISTS, CHECK
	ClassMutating                         // INSERT, CREATE, ALTER, DROP, TRUNCATE, RENAME, …
	ClassMutatingGlobal                   // functions, named collections, access entities
	ClassControl                          // USE, SET, ATTACH, DETACH, SYSTEM, BACKUP, KILL, INTO OUTFILE, …
	ClassUnknown                          // did not parse, or not classified by this engine
)

// Classify asks the engine's parser what sql would do, without running it. count is the
// number of statements the text holds (0 when it does not parse).
func (c *Conn) Classify(sql string) (class QueryClass, count int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c == nil {
		return ClassUnknown, 0, errConnClosed
	}
	q := cString(sql)
	a := &queryAnalysis{structSize: 16}
	if rc := c.c.lib.classifyQueryN(c.c.h, &q[0], uintptr(len(sql)), nil, 0, a); rc != 0 {
		return ClassUnknown, 0, errors.New("chdb_classify_query_n failed")
	}
	return QueryClass(a.queryClass), int(a.statementCount), nil
}
