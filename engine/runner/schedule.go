// Package runner executes selected nodes in dependency order with a pool of workers, skipping the
// descendants of failed nodes, and records results. What "executing" means for each resource
// type is a Handler supplied by the caller (build a model, load a seed, run a test).
package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// Status is a node's outcome, with dbt's names.
type Status string

// Outcomes.
const (
	Success Status = "success" // model or seed built
	Error   Status = "error"   // the node could not run
	Skipped Status = "skipped" // an upstream node failed, or the run stopped
	Pass    Status = "pass"    // test passed
	Warn    Status = "warn"    // test failed with severity warn
	Fail    Status = "fail"    // test failed with severity error
)

// Failed reports whether the status stops descendants and fails the run.
func (s Status) Failed() bool { return s == Error || s == Fail }

// Result is what happened to one node.
type Result struct {
	UniqueID     string        `json:"unique_id"`
	Status       Status        `json:"status"`
	Message      string        `json:"message,omitempty"`
	Started      time.Time     `json:"-"`
	Elapsed      time.Duration `json:"-"`
	ExecTime     float64       `json:"execution_time"` // seconds, as in dbt's run_results.json
	EngineTime   float64       `json:"engine_time"`    // seconds spent inside ClickHouse
	RowsAffected uint64        `json:"rows_affected"`
	Failures     int64         `json:"failures"` // failing rows of a test
	CompiledPath string        `json:"compiled_path,omitempty"`
	Err          error         `json:"-"`
}

// Handler runs one node. It returns the node's result; an error in the result marks it failed.
type Handler func(ctx context.Context, id string) Result

// Events receives progress; calls come from worker goroutines but never concurrently.
type Events interface {
	Start(id string, index, total int)
	Done(r Result, index, total int)
}

// ProgressEvents are Events that also hear how far a running node's statements have read, on
// targets that report it (warehouse.WithProgress). Progress is called from other goroutines,
// concurrently with Start and Done, between the node's Start and its Done.
type ProgressEvents interface {
	Events
	Progress(id string, p warehouse.Progress)
}

// Plan is the selected nodes in dependency order with each node's selected upstream nodes.
type Plan struct {
	Order []string
	Deps  map[string][]string
}

// Options control a run.
type Options struct {
	Threads  int
	FailFast bool
}

// Execute runs the plan and returns one result per node, in plan order. Independent nodes run in
// parallel; a node starts only after all its upstream nodes succeeded; when one failed, the node is
// skipped with the reason. With FailFast the first failure cancels running nodes and skips the rest.
// When ctx is cancelled (Ctrl-C), running nodes see it and nodes not yet started are skipped.
func Execute(ctx context.Context, plan Plan, h Handler, ev Events, opts Options) []Result {
	threads := max(opts.Threads, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	index := make(map[string]int, len(plan.Order))
	for i, id := range plan.Order {
		index[id] = i
	}
	waiting := make(map[string]int, len(plan.Order))
	children := map[string][]string{}
	for _, id := range plan.Order {
		for _, d := range plan.Deps[id] {
			if _, ok := index[d]; ok {
				waiting[id]++
				children[d] = append(children[d], id)
			}
		}
	}
	results := make([]Result, len(plan.Order))
	done := make([]bool, len(plan.Order))
	var mu sync.Mutex // guards results, done, waiting, counters and events
	ready := make(chan string, len(plan.Order))
	for _, id := range plan.Order {
		if waiting[id] == 0 {
			ready <- id
		}
	}
	remaining := len(plan.Order)
	if remaining == 0 {
		return results
	}
	finished := make(chan struct{})
	var finish func(r Result)
	// skip marks id and, transitively, its descendants as skipped. Caller holds mu.
	var skip func(id, why string)
	skip = func(id, why string) {
		i := index[id]
		if done[i] {
			return
		}
		done[i] = true
		results[i] = Result{UniqueID: id, Status: Skipped, Message: why}
		remaining--
		if ev != nil {
			ev.Done(results[i], i+1, len(plan.Order)) // users see what did not run, and why
		}
		for _, c := range children[id] {
			skip(c, why)
		}
	}
	finish = func(r Result) {
		mu.Lock()
		defer mu.Unlock()
		i := index[r.UniqueID]
		results[i] = r
		done[i] = true
		remaining--
		if ev != nil {
			ev.Done(r, i+1, len(plan.Order))
		}
		if r.Status.Failed() || r.Status == Skipped {
			why := "skipped because " + r.UniqueID + " failed"
			if r.Status == Skipped {
				why = r.Message
			}
			for _, c := range children[r.UniqueID] {
				skip(c, why)
			}
			if opts.FailFast && r.Status.Failed() {
				cancel()
			}
		} else {
			for _, c := range children[r.UniqueID] {
				waiting[c]--
				if waiting[c] == 0 && !done[index[c]] {
					ready <- c
				}
			}
		}
		if remaining == 0 {
			close(finished)
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < threads; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-finished:
					return
				case id := <-ready:
					mu.Lock()
					if done[index[id]] {
						mu.Unlock()
						continue
					}
					if ctx.Err() != nil {
						why := "skipped: the run was interrupted"
						if opts.FailFast {
							why = "skipped: --fail-fast stopped the run after a failure"
						}
						skip(id, why)
						if remaining == 0 {
							close(finished)
						}
						mu.Unlock()
						continue
					}
					if ev != nil {
						ev.Start(id, index[id]+1, len(plan.Order))
					}
					mu.Unlock()
					nctx := ctx
					if pe, ok := ev.(ProgressEvents); ok {
						nctx = warehouse.WithProgress(ctx, func(p warehouse.Progress) { pe.Progress(id, p) })
					}
					t0 := time.Now()
					r := safeRun(WithNode(nctx, id), h, id)
					r.UniqueID = id
					r.Started = t0
					r.Elapsed = time.Since(t0)
					r.ExecTime = r.Elapsed.Seconds()
					finish(r)
				}
			}
		}()
	}
	wg.Wait()
	return results
}

// nodeKey carries the ID of the node a handler runs for.
type nodeKey struct{}

// WithNode returns ctx marked as running node id; Execute marks every handler's context, so code
// below a handler (a warehouse wrapper logging statements) can tell which node a statement
// belongs to.
func WithNode(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, nodeKey{}, id)
}

// NodeOf is the node ctx runs for, or "" outside a handler.
func NodeOf(ctx context.Context) string {
	id, _ := ctx.Value(nodeKey{}).(string)
	return id
}

// safeRun turns a handler panic into an error result, so one bad node cannot kill the whole run.
func safeRun(ctx context.Context, h Handler, id string) (r Result) {
	defer func() {
		if p := recover(); p != nil {
			r = Result{Status: Error, Err: fmt.Errorf("internal error: %v", p), Message: fmt.Sprintf("internal error: %v", p)}
		}
	}()
	r = h(ctx, id)
	if r.Err != nil && r.Status == "" {
		r.Status = Error
	}
	if r.Err != nil && r.Message == "" {
		r.Message = r.Err.Error()
	}
	if errors.Is(r.Err, context.Canceled) && r.Status == Error {
		r.Message = "cancelled: " + r.Message
	}
	return r
}
