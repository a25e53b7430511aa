package session

import (
	"context"
	"sync"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// engineTimer adds up the engine time of every statement made through it, so a node's
// EngineTime covers the queries that inspect its relation and report on it, not only the
// statements that build it. Without them, dwm's overhead (wall minus engine time) was
// overstated by the cost of those ClickHouse queries.
type engineTimer struct {
	warehouse.Warehouse
	mu      sync.Mutex
	elapsed time.Duration
}

var _ warehouse.Warehouse = (*engineTimer)(nil)

func (t *engineTimer) add(d time.Duration) {
	t.mu.Lock()
	t.elapsed += d
	t.mu.Unlock()
}

// Exec implements warehouse.Warehouse.
func (t *engineTimer) Exec(ctx context.Context, sql string) (warehouse.Stats, error) {
	st, err := t.Warehouse.Exec(ctx, sql)
	t.add(st.Elapsed)
	return st, err
}

// Query implements warehouse.Warehouse.
func (t *engineTimer) Query(ctx context.Context, sql string) (*warehouse.Result, error) {
	res, err := t.Warehouse.Query(ctx, sql)
	if res != nil {
		t.add(res.Stats.Elapsed)
	}
	return res, err
}

// total is the engine time so far.
func (t *engineTimer) total() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.elapsed
}

// Insert implements warehouse.Inserter, so rows streamed to a server are timed too.
func (t *engineTimer) Insert(ctx context.Context, table string, columns []string, data []any) (warehouse.Stats, error) {
	st, err := warehouse.Insert(ctx, t.Warehouse, table, columns, data)
	t.add(st.Elapsed)
	return st, err
}
