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
	// byCommand is the same time per dwm command (its first argument), with the number of
	// processes: whether the time is in the builds themselves or in the many short commands
	// that check them, each paying the engine's start.
	byCommand map[string]time.Duration
	processes map[string]int
}

var cpuUsed = &cpuLedger{sum: map[string]time.Duration{}, byCommand: map[string]time.Duration{}, processes: map[string]int{}}

// charge books a finished process's CPU time to the top-level test of t and to its command.
func (l *cpuLedger) charge(t *testing.T, ps *os.ProcessState, command string) {
	if ps == nil {
		return
	}
	top, _, _ := strings.Cut(t.Name(), "/")
	d := ps.UserTime() + ps.SystemTime()
	l.mu.Lock()
	l.sum[top] += d
	l.byCommand[command] += d
	l.processes[command]++
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
	var total time.Duration
	for _, d := range l.sum {
		total += d
	}
	fmt.Fprintf(w, "CPU time of the dwm processes per test (total %.0f s):\n", total.Seconds())
	for _, n := range largestFirst(l.sum) {
		fmt.Fprintf(w, "%8.1f s  %s\n", l.sum[n].Seconds(), n)
	}
	fmt.Fprintln(w, "per command (processes, CPU):")
	for _, n := range largestFirst(l.byCommand) {
		fmt.Fprintf(w, "%8.1f s  %5d  %s\n", l.byCommand[n].Seconds(), l.processes[n], n)
	}
}

// largestFirst lists m's keys by decreasing value.
func largestFirst(m map[string]time.Duration) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return m[names[i]] > m[names[j]] })
	return names
}
