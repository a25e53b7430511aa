package runner

import (
	"context"
	"sync"
	"testing"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// progressRecorder records Progress calls and the Start/Done order around them.
type progressRecorder struct {
	mu   sync.Mutex
	log  []string
	seen map[string]warehouse.Progress
}

func (r *progressRecorder) Start(id string, _, _ int) { r.add("start " + id) }
func (r *progressRecorder) Done(res Result, _, _ int) { r.add("done " + res.UniqueID) }
func (r *progressRecorder) Progress(id string, p warehouse.Progress) {
	r.add("progress " + id)
	r.mu.Lock()
	r.seen[id] = p
	r.mu.Unlock()
}
func (r *progressRecorder) add(s string) {
	r.mu.Lock()
	r.log = append(r.log, s)
	r.mu.Unlock()
}

// A handler's statements report progress through the context; the runner routes it to the
// node's Progress events, between its Start and its Done.
func TestProgressReachesTheNode(t *testing.T) {
	ev := &progressRecorder{seen: map[string]warehouse.Progress{}}
	h := func(ctx context.Context, id string) Result {
		if report := warehouse.ProgressFunc(ctx); report != nil {
			report(warehouse.Progress{Statement: id + "-1", ReadRows: uint64(len(id)) * 10})
		}
		return Result{Status: Success}
	}
	Execute(context.Background(), Plan{Order: []string{"a", "bb"}}, h, ev, Options{Threads: 1})
	if ev.seen["a"].ReadRows != 10 || ev.seen["bb"].ReadRows != 20 || ev.seen["bb"].Statement != "bb-1" {
		t.Fatalf("progress by node: %+v", ev.seen)
	}
	want := []string{"start a", "progress a", "done a", "start bb", "progress bb", "done bb"}
	for i := range want {
		if i >= len(ev.log) || ev.log[i] != want[i] {
			t.Fatalf("events %v, want %v", ev.log, want)
		}
	}
	// Events without Progress get a context without a progress function.
	Execute(context.Background(), Plan{Order: []string{"c"}}, func(ctx context.Context, id string) Result {
		if warehouse.ProgressFunc(ctx) != nil {
			t.Error("progress requested for events that cannot take it")
		}
		return Result{Status: Success}
	}, nil, Options{Threads: 1})
}
