package warehouse

import (
	"context"
	"io"
	"strconv"
	"strings"
	"sync"
)

// CrashAfter wraps a warehouse so that the process is killed right before its Limit+1-th
// statement, as if kill -9 arrived between two statements, and optionally logs every statement
// it lets through. Crash-safety tests use it to stop a run at every step boundary
// deterministically; it is switched on only by the DWM_CRASH_AFTER and DWM_STATEMENT_LOG
// environment variables at the CLI edge.
//
// With one thread a run's statements come in a fixed order, so statement N of a logged
// uninterrupted run is the statement a run with Limit N is killed before: the log is how tests
// choose kill points by what they interrupt, and check that a kill landed where they meant.
type CrashAfter struct {
	Warehouse
	Limit int64  // statements allowed; negative means no limit
	Kill  func() // kills the process; never returns in practice
	// Log, when set, receives one line per statement before it runs:
	// "<index>\t<node>\t<SQL on one line>\n", written with one Write call so a line survives a
	// kill whole. Node names the node the statement runs for ("" outside any node).
	Log  io.Writer
	Node func(context.Context) string

	mu sync.Mutex // orders counting and logging, so log lines are in index order
	n  int64
}

func (c *CrashAfter) tick(ctx context.Context, sql string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	if c.Limit >= 0 && c.n > c.Limit {
		c.Kill()
	}
	if c.Log == nil {
		return
	}
	node := ""
	if c.Node != nil {
		node = c.Node(ctx)
	}
	line := strconv.FormatInt(c.n, 10) + "\t" + node + "\t" + oneLine.Replace(sql) + "\n"
	_, _ = io.WriteString(c.Log, line)
}

// Exec counts the statement, then runs it.
func (c *CrashAfter) Exec(ctx context.Context, sql string) (Stats, error) {
	c.tick(ctx, sql)
	return c.Warehouse.Exec(ctx, sql)
}

// Query counts the statement, then runs it.
func (c *CrashAfter) Query(ctx context.Context, sql string) (*Result, error) {
	c.tick(ctx, sql)
	return c.Warehouse.Query(ctx, sql)
}

// oneLine keeps a statement on its log line.
var oneLine = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ")

var _ Warehouse = (*CrashAfter)(nil)
