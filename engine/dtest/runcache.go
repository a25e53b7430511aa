package dtest

import (
	"context"
	"strconv"
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
// later node of the run rebuilds them. Only successful reads are kept, so a relation missing now
// is looked up again by the next test.
type runCache struct {
	mu      sync.Mutex
	cols    map[string][]warehouse.Column // relation -> columns
	colLock map[string]*sync.Mutex        // relation -> held while its columns are read
	ranges  map[string]*sync.Once         // parent unique id -> its batch range, read once
	rng     map[string]batchRange
	tested  map[string]*sync.Once         // dwm_tested relation -> its passes, read once
	passes  map[string]map[passKey]uint64 // dwm_tested relation -> last batch passed
}

// batchRange is a batched relation's table UUID and the last batch a test may check (the highest
// present and committed); ok is false when they could not be read.
type batchRange struct {
	uuid string
	to   uint64
	ok   bool
}

// passKey names one test's passes on one table with one definition.
type passKey struct{ test, def, uuid string }

func newRunCache() *runCache {
	return &runCache{cols: map[string][]warehouse.Column{}, colLock: map[string]*sync.Mutex{}, ranges: map[string]*sync.Once{}, rng: map[string]batchRange{},
		tested: map[string]*sync.Once{}, passes: map[string]map[passKey]uint64{}}
}

// columns is relationColumns, read once per relation and run. Workers asking for the same
// relation at once wait for one read (its lock), and a failed read is not kept.
func (c *runCache) columns(ctx context.Context, wh warehouse.Warehouse, n *manifest.Node) ([]warehouse.Column, error) {
	key := n.Relation()
	c.mu.Lock()
	l := c.colLock[key]
	if l == nil {
		l = &sync.Mutex{}
		c.colLock[key] = l
	}
	c.mu.Unlock()
	l.Lock()
	defer l.Unlock()
	c.mu.Lock()
	cols, ok := c.cols[key]
	c.mu.Unlock()
	if ok {
		return cols, nil
	}
	cols, err := relationColumns(ctx, wh, n)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.cols[key] = cols
	c.mu.Unlock()
	return cols, nil
}

// once returns the sync.Once of key in m, made on first use.
func (c *runCache) once(m map[string]*sync.Once, key string) *sync.Once {
	c.mu.Lock()
	defer c.mu.Unlock()
	o := m[key]
	if o == nil {
		o = &sync.Once{}
		m[key] = o
	}
	return o
}

// batchRange reads the parent's table UUID and last checkable batch once per run; read runs the
// query (the same SQL for every test of the parent, so replayed runs issue the same statements).
func (c *runCache) batchRange(parent string, read func() batchRange) batchRange {
	c.once(c.ranges, parent).Do(func() {
		r := read()
		c.mu.Lock()
		c.rng[parent] = r
		c.mu.Unlock()
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rng[parent]
}

// lastPass is the last batch test passed on table uuid with definition def, from one read of the
// whole dwm_tested table per run: each test runs once per run, so the passes recorded during the
// run are never the ones looked up. ok is false when the table could not be read.
func (c *runCache) lastPass(ctx context.Context, wh warehouse.Warehouse, tested materialize.Relation, k passKey) (uint64, bool) {
	rel := tested.String()
	c.once(c.tested, rel).Do(func() {
		res, err := wh.Query(ctx, "SELECT test, definition, table_uuid, max(batch) FROM "+rel+" GROUP BY test, definition, table_uuid")
		if err != nil {
			return
		}
		m := make(map[passKey]uint64, len(res.Rows))
		for i := range res.Rows {
			b, err := strconv.ParseUint(res.String(i, 3), 10, 64)
			if err != nil {
				return
			}
			m[passKey{res.String(i, 0), res.String(i, 1), res.String(i, 2)}] = b
		}
		c.mu.Lock()
		c.passes[rel] = m
		c.mu.Unlock()
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.passes[rel]
	if !ok {
		return 0, false
	}
	return m[k], true
}
