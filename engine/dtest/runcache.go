package dtest

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// runCache holds what the data tests of one run read about the relations they test, so each is
// read once per run instead of once per test: a model with ten tests had its columns, table UUID
// and batch range read ten times, and on small relations those catalogue reads cost as much as the
// tests themselves (a tenth of a warehouse build's statement time).
//
// Caching is sound because a Runner serves one run (the CLI makes one per `dwm test`/`build`, and
// one per week of `simulate`) and a data test runs only after every relation it reads was built in
// that run: its attached model and, for relationships, the `to` model are its DAG parents, and no
// later node of the run rebuilds them.
type runCache struct {
	cols   memo[[]warehouse.Column] // relation -> columns
	ranges memo[batchRange]         // parent unique id -> its batch range
	passes memo[map[passKey]pass]   // dwm_tested relation -> last pass per test
}

// batchRange is a batched relation's table UUID and the last batch a test may check (the highest
// present and committed).
type batchRange struct {
	uuid string
	to   uint64
}

// passKey names one test's passes on one table with one definition.
type passKey struct{ test, def, uuid string }

// pass is a test's last pass: the last batch it checked, and when it was recorded (pii_erased
// compares the erasure log's times with it).
type pass struct {
	batch uint64
	at    string
}

// memo keeps one successful load per key. Workers asking for the same key at once wait for one
// load (the entry's lock); a failed load is not kept, so the next caller tries again.
type memo[V any] struct {
	mu      sync.Mutex
	entries map[string]*memoEntry[V]
}

type memoEntry[V any] struct {
	mu   sync.Mutex
	v    V
	done bool
}

func (m *memo[V]) get(key string, load func() (V, error)) (V, error) {
	m.mu.Lock()
	if m.entries == nil {
		m.entries = map[string]*memoEntry[V]{}
	}
	e := m.entries[key]
	if e == nil {
		e = &memoEntry[V]{}
		m.entries[key] = e
	}
	m.mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.done {
		v, err := load()
		if err != nil {
			return v, err
		}
		e.v, e.done = v, true
	}
	return e.v, nil
}

// columns is relationColumns, read once per relation and run.
func (c *runCache) columns(ctx context.Context, wh warehouse.Warehouse, n *manifest.Node) ([]warehouse.Column, error) {
	return c.cols.get(n.Relation(), func() ([]warehouse.Column, error) { return relationColumns(ctx, wh, n) })
}

// errNoRange means a batch range or the passes could not be read; the test then checks the whole
// relation, which is always correct.
var errNoRange = errors.New("batch range unknown")

// batchRange runs sql (the same statement for every test of the parent, so replayed runs issue
// the same statements) once per parent and run: it returns the table UUID and the last batch.
func (c *runCache) batchRange(ctx context.Context, wh warehouse.Warehouse, parent, sql string) (batchRange, error) {
	return c.ranges.get(parent, func() (batchRange, error) {
		res, err := wh.Query(ctx, sql)
		if err != nil || len(res.Rows) != 1 {
			return batchRange{}, errNoRange
		}
		uuid := res.String(0, 0)
		to, err := strconv.ParseUint(res.String(0, 1), 10, 64)
		if err != nil || uuid == "" || strings.Trim(uuid, "0-") == "" {
			return batchRange{}, errNoRange
		}
		return batchRange{uuid: uuid, to: to}, nil
	})
}

// lastPass is the last pass of test on table uuid with definition def, from one read of the
// whole dwm_tested table per run: each test runs once per run, so the passes recorded during the
// run are never the ones looked up. Both batch and tested_at only grow from pass to pass. Rows of
// batch 0 are the starts pii_erased notes before its check (startSQL), not passes.
func (c *runCache) lastPass(ctx context.Context, wh warehouse.Warehouse, tested materialize.Relation, k passKey) (pass, error) {
	rel := tested.String()
	m, err := c.passes.get(rel, func() (map[passKey]pass, error) {
		res, err := wh.Query(ctx, "SELECT test, definition, table_uuid, max(batch), toString(maxIf(tested_at, batch > 0)) FROM "+rel+" GROUP BY test, definition, table_uuid")
		if err != nil {
			return nil, errNoRange
		}
		m := make(map[passKey]pass, len(res.Rows))
		for i := range res.Rows {
			b, err := strconv.ParseUint(res.String(i, 3), 10, 64)
			if err != nil {
				return nil, errNoRange
			}
			m[passKey{res.String(i, 0), res.String(i, 1), res.String(i, 2)}] = pass{batch: b, at: res.String(i, 4)}
		}
		return m, nil
	})
	return m[k], err
}
