package chdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// QueryStream runs a query whose output may be any size and copies it to out while it runs, in
// bounded memory. libchdb buffers a statement's whole output, and its streaming calls return
// each block as a complete document (a JSON result per block, a CSVWithNames header per block),
// so neither can serve a client byte for byte. ClickHouse's own INTO OUTFILE does: QueryStream
// inserts "INTO OUTFILE '<pipe>' APPEND COMPRESSION 'none'" at byte outputAt of q.SQL (before a
// FORMAT clause, or at the end; chsql.Statement.OutputAt finds it) and reads the named pipe as
// the engine writes it. Measured on 26.7.3: 1.5 GB of JSON streamed with a peak RSS of 274 MB
// against 204 MB for the engine at rest (and through dwm serve, TestServeStreamsInBoundedMemory).
//
// If out fails (a client that went away) or ctx ends, the statement is killed and the pipe is
// drained so the engine never blocks on it. The pipe lives in a private directory (0700).
func (c *Conn) QueryStream(ctx context.Context, q Stmt, outputAt int, out io.Writer) (warehouse.Stats, error) {
	if outputAt < 0 || outputAt > len(q.SQL) {
		return warehouse.Stats{}, fmt.Errorf("chdb stream: output position %d outside the statement", outputAt)
	}
	path, err := c.w.newPipe()
	if err != nil {
		return warehouse.Stats{}, err
	}
	defer os.Remove(path)
	// The read end opens without waiting for a writer; our own write end keeps reads from seeing
	// end-of-file before the engine opens the pipe (or when it never does, as when the statement
	// fails to parse). Closing it after the call lets the reader finish.
	rfd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return warehouse.Stats{}, fmt.Errorf("chdb stream: open pipe: %w", err)
	}
	rf := os.NewFile(uintptr(rfd), path)
	defer rf.Close()
	keep, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return warehouse.Stats{}, fmt.Errorf("chdb stream: open pipe: %w", err)
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	copied := make(chan error, 1)
	go func() {
		_, err := io.Copy(out, rf)
		if err != nil {
			cancel()                       // stop the statement …
			_, _ = io.Copy(io.Discard, rf) // … and never leave the engine blocked on a full pipe
		}
		copied <- err
	}()

	sql := q.SQL[:outputAt] + " INTO OUTFILE " + quoteString(path) + " APPEND COMPRESSION 'none' " + q.SQL[outputAt:]
	r, qerr := c.call(cctx, sql, func(cc *conn, tagged string) outcome {
		r, err := cc.lib.queryParams(cc.h, tagged, orTSV(q.Format), q.Params)
		return finishCall(cc, r, err)
	})
	_ = keep.Close()
	cerr := <-copied
	if cerr != nil {
		return warehouse.Stats{}, fmt.Errorf("chdb stream: write output: %w", cerr)
	}
	if qerr != nil {
		var qe *warehouse.QueryError
		if errors.As(qerr, &qe) {
			qe.SQL = q.SQL // the caller's statement, not ours with the pipe in it
		}
		return warehouse.Stats{}, qerr
	}
	return r.stats(), nil
}

// newPipe makes a named pipe in the Warehouse's private pipe directory.
func (w *Warehouse) newPipe() (string, error) {
	w.fifoOnce.Do(func() {
		w.fifoDir, w.fifoErr = os.MkdirTemp("", "dwm-chdb-pipes-")
	})
	if w.fifoErr != nil {
		return "", fmt.Errorf("chdb stream: %w", w.fifoErr)
	}
	path := filepath.Join(w.fifoDir, "out-"+strconv.FormatUint(w.seq.Add(1), 10))
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		return "", fmt.Errorf("chdb stream: mkfifo: %w", err)
	}
	return path, nil
}
