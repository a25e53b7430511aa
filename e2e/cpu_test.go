package e2e

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// cpuLedger adds up the CPU time (user + system) of the dwm processes each top-level test ran,
// to see where the package's CI time goes: with DWM_E2E_CPU=<file>, TestMain writes it there at
// the end (go test shows a passing package's output only with -v).
// The CI budget is CPU-bound (two cores, packages and tests in parallel), so wall times of
// parallel tests, which include waits for a slot, say little.
type cpuLedger struct {
	mu  sync.Mutex
	sum map[string]time.Duration
}

var cpuUsed = &cpuLedger{sum: map[string]time.Duration{}}

// charge books a finished process's CPU time to the top-level test of t.
func (l *cpuLedger) charge(t *testing.T, ps *os.ProcessState) {
	if ps == nil {
		return
	}
	top, _, _ := strings.Cut(t.Name(), "/")
	l.mu.Lock()
	l.sum[top] += ps.UserTime() + ps.SystemTime()
	l.mu.Unlock()
}

// write writes the ledger to path; a failure only says so, the tests' result stands.
func (l *cpuLedger) write(path string) {
	var b strings.Builder
	l.print(&b)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "DWM_E2E_CPU:", err)
	}
}

// print writes the ledger, largest first.
func (l *cpuLedger) print(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	names := make([]string, 0, len(l.sum))
	var total time.Duration
	for n, d := range l.sum {
		names = append(names, n)
		total += d
	}
	sort.Slice(names, func(i, j int) bool { return l.sum[names[i]] > l.sum[names[j]] })
	fmt.Fprintf(w, "CPU time of the dwm processes per test (total %.0f s):\n", total.Seconds())
	for _, n := range names {
		fmt.Fprintf(w, "%8.1f s  %s\n", l.sum[n].Seconds(), n)
	}
}
