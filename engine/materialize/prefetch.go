package materialize

import (
	"context"
	"sync"

	"github.com/dwmhq/dwm/engine/manifest"
)

// Prefetcher is implemented by materializations whose Prepare does slow work that depends only on
// files, not on the warehouse (hashing new files for the ledger): Prefetch starts it before the
// node runs, in the background while other nodes build, and leaves its results where Prepare
// finds them (PrepareEnv.Cache, or PrepareEnv.Flights while still running). It reports nothing:
// whatever it could not do, Prepare does, and reports.
type Prefetcher interface {
	Prefetch(ctx context.Context, n *manifest.Node, env PrepareEnv)
}

// Prefetch calls the Prefetcher of n's materialization, if it has one.
func (r *Registry) Prefetch(ctx context.Context, n *manifest.Node, env PrepareEnv) {
	if m, err := r.forNode(n); err == nil {
		if p, ok := m.(Prefetcher); ok {
			p.Prefetch(ctx, n, env)
		}
	}
}

// Prefetches reports whether n's materialization has a Prefetcher.
func (r *Registry) Prefetches(n *manifest.Node) bool {
	m, err := r.forNode(n)
	if err != nil {
		return false
	}
	_, ok := m.(Prefetcher)
	return ok
}

// Flights runs one computation per key at a time: a caller asking for a key that is being
// computed waits for that result instead of computing it again (a file a Prefetch is hashing,
// asked for by its Prepare). A nil *Flights just calls fn.
type Flights struct {
	mu sync.Mutex
	m  map[string]*flight
	// waiting, when set (by tests), is called when a caller starts waiting for another's result.
	waiting func()
}

type flight struct {
	done chan struct{}
	v    string
	err  error
}

// Do returns fn's result for key. A waiter that sees the computation fail runs fn itself: the
// other caller may have been cancelled (a prefetch at the end of a run), which is not its error.
func (f *Flights) Do(key string, fn func() (string, error)) (string, error) {
	if f == nil {
		return fn()
	}
	f.mu.Lock()
	if c, ok := f.m[key]; ok {
		f.mu.Unlock()
		if f.waiting != nil {
			f.waiting()
		}
		<-c.done
		if c.err == nil {
			return c.v, nil
		}
		return fn()
	}
	if f.m == nil {
		f.m = map[string]*flight{}
	}
	c := &flight{done: make(chan struct{})}
	f.m[key] = c
	f.mu.Unlock()
	c.v, c.err = fn()
	f.mu.Lock()
	delete(f.m, key)
	f.mu.Unlock()
	close(c.done)
	return c.v, c.err
}
