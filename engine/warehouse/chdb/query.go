package chdb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse"
)

const (
	// killRetry is how often KILL QUERY is re-sent while a cancelled statement still runs: the
	// first KILL can land before the statement appears in system.processes.
	killRetry = 250 * time.Millisecond
	// killGrace bounds how long a cancelled call waits for the statement to stop (KILL ASYNC
	// stops a scan in about 0.5 s). After it the call returns anyway and the connection rejoins
	// the pool whenever libchdb lets go of it.
	killGrace = 10 * time.Second
	// codeQueryWasCancelled is ClickHouse's QUERY_WAS_CANCELLED.
	codeQueryWasCancelled = 394
)

// Exec runs one statement and discards any rows it returns.
func (w *Warehouse) Exec(ctx context.Context, sql string) (warehouse.Stats, error) {
	r, err := w.run(ctx, sql, "Null")
	if err != nil {
		return warehouse.Stats{}, err
	}
	return r.stats(), nil
}

// Query runs one statement and returns all its rows as text (see warehouse.Result).
func (w *Warehouse) Query(ctx context.Context, sql string) (*warehouse.Result, error) {
	r, err := w.run(ctx, sql, resultFormat)
	if err != nil {
		return nil, err
	}
	cols, rows, err := decodeTSV(r.out)
	if err != nil {
		return nil, fmt.Errorf("chdb query: %w", err)
	}
	return &warehouse.Result{Columns: cols, Rows: rows, Stats: r.stats()}, nil
}

func (r rawResult) stats() warehouse.Stats {
	return warehouse.Stats{
		RowsRead:    r.rowsRead,
		RowsWritten: r.rowsWritten,
		Elapsed:     time.Duration(r.elapsed * float64(time.Second)),
	}
}

// outcome is what the goroutine owning a C call hands back.
type outcome struct {
	r   rawResult
	err error
}

// run executes sql on a pooled connection. The C call cannot be interrupted from Go, so it runs
// in its own goroutine; if ctx ends first, the statement is killed from the control connection
// by its tag, a comment prepended to the SQL that system.processes shows verbatim. (libchdb has
// no per-call query_id, and a comment is valid in front of every statement kind, including
// INSERT ... FORMAT with inline data, where a trailing SETTINGS clause would not be.)
func (w *Warehouse) run(ctx context.Context, sql, format string) (rawResult, error) {
	return w.runCall(ctx, sql, func(c *conn, tagged string) outcome {
		r, err := c.lib.query(c.h, tagged, format)
		if err != nil || r.err != "" {
			c.flush()
		}
		return outcome{r, err}
	})
}

// runCall takes a pooled connection and runs call with sql behind its kill tag, cancelling it as
// run describes. Raw shares it, with a call that wraps the statement in per-statement settings.
func (w *Warehouse) runCall(ctx context.Context, sql string, call func(c *conn, tagged string) outcome) (rawResult, error) {
	if err := ctx.Err(); err != nil {
		return rawResult{}, err
	}
	c, err := w.take(ctx)
	if err != nil {
		return rawResult{}, err
	}
	return w.callOn(ctx, c, sql, call, func() { w.pool <- c })
}

// callOn runs call on c with sql behind a fresh kill tag in its own goroutine, and release once
// libchdb has returned (the connection is free only then). If ctx ends first, the statement is
// killed by its tag and callOn returns as run describes, possibly before release.
func (w *Warehouse) callOn(ctx context.Context, c *conn, sql string, call func(c *conn, tagged string) outcome, release func()) (rawResult, error) {
	tag := "/* " + w.tagPrefix + "-" + strconv.FormatUint(w.seq.Add(1), 10) + " */ "
	if report := warehouse.ProgressFunc(ctx); report != nil {
		defer w.watch(tag, w.progressEvery, report)()
	}
	ch := make(chan outcome, 1)
	go func() {
		ch <- call(c, tag+sql) // buffered; before release so Close cannot overtake a kill loop
		release()
	}()
	select {
	case o := <-ch:
		return o.r, w.checkOutcome(o, sql, len(tag))
	case <-ctx.Done():
	}
	o, stopped := w.kill(ch, tag)
	if stopped && o.err == nil && o.r.err == "" {
		return o.r, nil // finished before the KILL took effect: report the truth
	}
	if stopped && o.err != nil {
		return rawResult{}, fmt.Errorf("chdb: %w", o.err) // the call's own failure, e.g. its input's
	}
	if stopped && o.r.err != "" {
		if qe := parseError(o.r.err, sql, len(tag)); qe.Code != codeQueryWasCancelled {
			return rawResult{}, fmt.Errorf("chdb: %w (statement failed: %w)", ctx.Err(), qe)
		}
	}
	return rawResult{}, fmt.Errorf("chdb: statement cancelled: %w", ctx.Err())
}

// take waits for a free connection, the context, or Close.
func (w *Warehouse) take(ctx context.Context) (*conn, error) {
	select {
	case <-w.done:
		return nil, errClosed
	default:
	}
	select {
	case c := <-w.pool:
		select {
		case <-w.done: // Close started while we waited; let it collect this connection
			w.pool <- c
			return nil, errClosed
		default:
			return c, nil
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("chdb: waiting for a connection: %w", ctx.Err())
	case <-w.done:
		return nil, errClosed
	}
}

var errClosed = errors.New("chdb: warehouse is closed")

// kill sends KILL QUERY for tag until the statement's goroutine reports back or killGrace ends.
// ASYNC because KILL ... SYNC was measured to hang in libchdb.
func (w *Warehouse) kill(ch <-chan outcome, tag string) (outcome, bool) {
	stmt := "KILL QUERY WHERE startsWith(query, " + quoteString(tag) + ") ASYNC"
	grace := time.NewTimer(killGrace)
	defer grace.Stop()
	tick := time.NewTicker(killRetry)
	defer tick.Stop()
	for {
		w.ctlMu.Lock()
		if w.ctl != nil {
			_, _ = w.ctl.exec(stmt) // best effort: a failed KILL is retried, then abandoned
		}
		w.ctlMu.Unlock()
		select {
		case o := <-ch:
			return o, true
		case <-grace.C:
			return outcome{}, false
		case <-tick.C:
		}
	}
}

// checkOutcome turns libchdb's error text into a *warehouse.QueryError.
func (w *Warehouse) checkOutcome(o outcome, sql string, tagLen int) error {
	if o.err != nil {
		return fmt.Errorf("chdb: %w", o.err)
	}
	if o.r.err != "" {
		return parseError(o.r.err, sql, tagLen)
	}
	return nil
}
