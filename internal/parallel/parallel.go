// Package parallel runs independent, CPU-bound pieces of work on every core.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// ForEach calls do(i) for every i in [0, n) on up to GOMAXPROCS goroutines and returns the
// error of the smallest i that failed, so the error reported never depends on scheduling.
// Once some i has failed, larger indexes are skipped; smaller ones still run, since one of them
// may fail too and take precedence.
func ForEach(n int, do func(i int) error) error {
	if n == 0 {
		return nil
	}
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Int64 // the smallest index that failed so far, n when none
	failed.Store(int64(n))
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= failed.Load() {
					return // i >= n, or past a failure
				}
				if errs[i] = do(int(i)); errs[i] != nil {
					for f := failed.Load(); i < f && !failed.CompareAndSwap(f, i); f = failed.Load() {
					}
				}
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f < int64(n) {
		return errs[f]
	}
	return nil
}
