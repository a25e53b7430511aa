package warehouse

import (
	"context"
	"sync/atomic"
)

// CrashAfter wraps a warehouse so that the process is killed right before its limit+1-th
// statement, as if kill -9 arrived between two statements. Crash-safety tests use it to stop a run
// at every step boundary deterministically; it is switched on only by the DWM_CRASH_AFTER
// environment variable at the CLI edge.
type CrashAfter struct {
	Warehouse
	Limit int64
	Kill  func() // kills the process; never returns in practice
	n     atomic.Int64
}

func (c *CrashAfter) tick() {
	if c.n.Add(1) > c.Limit {
		c.Kill()
	}
}

// Exec counts the statement, then runs it.
func (c *CrashAfter) Exec(ctx context.Context, sql string) (Stats, error) {
	c.tick()
	return c.Warehouse.Exec(ctx, sql)
}

// Query counts the statement, then runs it.
func (c *CrashAfter) Query(ctx context.Context, sql string) (*Result, error) {
	c.tick()
	return c.Warehouse.Query(ctx, sql)
}

var _ Warehouse = (*CrashAfter)(nil)
