package runner

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// a -> b -> d, a -> c, e independent
func plan() Plan {
	return Plan{Order: []string{"a", "e", "b", "c", "d"}, Deps: map[string][]string{"b": {"a"}, "c": {"a"}, "d": {"b"}}}
}

func statuses(rs []Result) map[string]Status {
	out := map[string]Status{}
	for _, r := range rs {
		out[r.UniqueID] = r.Status
	}
	return out
}

func TestExecuteOrderAndSkips(t *testing.T) {
	var mu sync.Mutex
	var ran []string
	h := func(ctx context.Context, id string) Result {
		mu.Lock()
		ran = append(ran, id)
		mu.Unlock()
		if id == "b" {
			return Result{Err: errors.New("boom")}
		}
		return Result{Status: Success}
	}
	rs := Execute(context.Background(), plan(), h, nil, Options{Threads: 3})
	st := statuses(rs)
	want := map[string]Status{"a": Success, "e": Success, "b": Error, "c": Success, "d": Skipped}
	for k, v := range want {
		if st[k] != v {
			t.Errorf("%s = %s, want %s", k, st[k], v)
		}
	}
	if rs[4].Message != "skipped because b failed" {
		t.Errorf("skip message = %q", rs[4].Message)
	}
	pos := map[string]int{}
	for i, id := range ran {
		pos[id] = i
	}
	if pos["a"] > pos["b"] || pos["a"] > pos["c"] {
		t.Errorf("ran out of order: %v", ran)
	}
	if _, ok := pos["d"]; ok {
		t.Errorf("d ran although b failed")
	}
}

func TestExecuteParallel(t *testing.T) {
	// Two independent nodes must be able to run at the same time: each waits for the other to start.
	var started sync.WaitGroup
	started.Add(2)
	h := func(ctx context.Context, id string) Result {
		started.Done()
		started.Wait()
		return Result{Status: Success}
	}
	p := Plan{Order: []string{"x", "y"}}
	rs := Execute(context.Background(), p, h, nil, Options{Threads: 2})
	if rs[0].Status != Success || rs[1].Status != Success {
		t.Fatal(rs)
	}
}

func TestFailFastAndCancel(t *testing.T) {
	var count atomic.Int32
	h := func(ctx context.Context, id string) Result {
		count.Add(1)
		if id == "a" {
			return Result{Status: Error, Err: errors.New("x")}
		}
		return Result{Status: Success}
	}
	rs := Execute(context.Background(), Plan{Order: []string{"a", "b", "c"}}, h, nil, Options{Threads: 1, FailFast: true})
	st := statuses(rs)
	if st["a"] != Error || st["b"] != Skipped || st["c"] != Skipped || count.Load() != 1 {
		t.Fatalf("fail-fast: %v ran %d", st, count.Load())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rs = Execute(ctx, plan(), h, nil, Options{Threads: 2})
	var ids []string
	for _, r := range rs {
		if r.Status != Skipped {
			ids = append(ids, r.UniqueID)
		}
	}
	sort.Strings(ids)
	if len(ids) != 0 {
		t.Fatalf("cancelled run executed %v", ids)
	}
}

func TestPanicBecomesError(t *testing.T) {
	h := func(ctx context.Context, id string) Result { panic("bad") }
	rs := Execute(context.Background(), Plan{Order: []string{"a"}}, h, nil, Options{Threads: 1})
	if rs[0].Status != Error || rs[0].Message != "internal error: bad" {
		t.Fatal(rs[0])
	}
}

// TestHandlersKnowTheirNode: statements issued below a handler can be attributed to its node
// (the crash tests' statement log relies on it), and one thread runs nodes in a fixed order.
func TestHandlersKnowTheirNode(t *testing.T) {
	if got := NodeOf(context.Background()); got != "" {
		t.Fatalf("NodeOf outside a handler = %q", got)
	}
	for run := 0; run < 3; run++ {
		var seen []string
		h := func(ctx context.Context, id string) Result {
			if got := NodeOf(ctx); got != id {
				t.Errorf("handler for %s sees node %q", id, got)
			}
			seen = append(seen, id)
			return Result{Status: Success}
		}
		Execute(context.Background(), plan(), h, nil, Options{Threads: 1})
		if got := strings.Join(seen, " "); got != "a e b c d" {
			t.Fatalf("run %d with one thread ran %s, want the plan's order a e b c d", run, got)
		}
	}
}
