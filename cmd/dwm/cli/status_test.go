package cli

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// lastStatus (on serve_test.go's lockedBuffer, which the ticker goroutine and the test share) is
// the status line as a terminal shows it: the last line, after the last erase.
func (l *lockedBuffer) lastStatus() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	if i := strings.LastIndex(s, "\r\x1b[K"); i >= 0 {
		s = s[i+len("\r\x1b[K"):]
	}
	return s[strings.LastIndex(s, "\n")+1:]
}

// fakeClock is a clock the test moves; the ticker goroutine may read it meanwhile.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func livePrinter(w *lockedBuffer, clock *fakeClock) *printer {
	nodes := map[string]*manifest.Node{
		"model.p.big":   {Name: "big", ResourceType: manifest.Model, Database: "db", Alias: "big"},
		"model.p.small": {Name: "small", ResourceType: manifest.Model, Database: "db", Alias: "small"},
	}
	return &printer{w: w, live: true, nodes: nodes, now: clock.now, started: clock.now()}
}

// A long node's line shows its time going up and what the engine read, without any node
// starting or finishing in between.
func TestStatusLineTicksAndShowsProgress(t *testing.T) {
	var out lockedBuffer
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := livePrinter(&out, clock)
	defer p.stop()
	p.Start("model.p.big", 1, 2)
	if got := out.lastStatus(); got != "[0/2 done, 0s] running: big 0s" {
		t.Fatalf("status at start: %q", got)
	}
	clock.add(19 * time.Second)
	p.tick()
	if got := out.lastStatus(); got != "[0/2 done, 19s] running: big 19s" {
		t.Fatalf("status after 19 s: %q", got)
	}
	p.Progress("model.p.big", warehouse.Progress{Statement: "s1", ReadRows: 1_000_000, ReadBytes: 200_000_000})
	p.Progress("model.p.big", warehouse.Progress{Statement: "s2", ReadRows: 234_567, ReadBytes: 140_000_000, TotalRows: 469_134})
	clock.add(2 * time.Second)
	p.Start("model.p.small", 2, 2)
	p.tick()
	if got, want := out.lastStatus(), "[0/2 done, 21s] running: big 21s 1.2M rows 340 MB (50%), small 0s"; got != want {
		t.Fatalf("status with progress:\n got %q\nwant %q", got, want)
	}
	p.Done(runner.Result{UniqueID: "model.p.big", Status: runner.Success}, 1, 2)
	if got := out.lastStatus(); got != "[1/2 done, 21s] running: small 0s" {
		t.Fatalf("status after big finished: %q", got)
	}
	p.Progress("model.p.big", warehouse.Progress{Statement: "s3", ReadRows: 5}) // late: ignored
	p.tick()
	if got := out.lastStatus(); strings.Contains(got, "big") {
		t.Fatalf("a finished node is still shown: %q", got)
	}
}

// The redraws come from a ticker of their own once a node starts, and stop with the summary.
func TestStatusLineRedrawsByItself(t *testing.T) {
	var out lockedBuffer
	clock := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := livePrinter(&out, clock)
	p.Start("model.p.big", 1, 1)
	draws := func() int {
		out.mu.Lock()
		defer out.mu.Unlock()
		return strings.Count(out.b.String(), "running: big")
	}
	first := draws()
	deadline := time.Now().Add(10 * statusEvery)
	for draws() == first && time.Now().Before(deadline) {
		time.Sleep(statusEvery / 10) // waiting for the ticker's redraw, with a deadline
	}
	if draws() == first {
		t.Fatalf("no redraw within %v of the node starting", 10*statusEvery)
	}
	p.summary([]runner.Result{{UniqueID: "model.p.big", Status: runner.Success}}, "models", time.Second)
	after := draws()
	p.tick() // a tick that was already due when the summary stopped the ticker
	if draws() != after {
		t.Fatal("the status line was drawn after the summary")
	}
}

// Not on a terminal (or with --log-format json) there is no status line and no ticker.
func TestNoStatusLineWhenPiped(t *testing.T) {
	var out lockedBuffer
	p := livePrinter(&out, &fakeClock{t: time.Now()})
	p.live = false
	p.Start("model.p.big", 1, 1)
	p.Progress("model.p.big", warehouse.Progress{Statement: "s", ReadRows: 10})
	if p.ticker != nil || strings.Contains(out.b.String(), "running:") {
		t.Fatalf("status line when piped: %q", out.b.String())
	}
	if _, asks := p.events().(runner.ProgressEvents); asks {
		t.Fatal("a piped run asks the engine for progress")
	}
	p.live = true
	if _, asks := p.events().(runner.ProgressEvents); !asks {
		t.Fatal("a run on a terminal does not ask for progress")
	}
}

func TestHumanCounts(t *testing.T) {
	for n, want := range map[uint64]string{0: "0", 950: "950", 12_345: "12K", 123_456: "123K", 8_150: "8.2K", 4_500_000: "4.5M", 1_200_000_000: "1.2B"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
	if got := size(340_000_000); got != "340 MB" {
		t.Errorf("size = %q", got)
	}
	if got := seconds(125 * time.Second); got != "2m05s" {
		t.Errorf("seconds = %q", got)
	}
}
