// Package bench holds dwm's end-to-end engine benchmarks: compiling a generated 10,000-model
// project, and dwm's own overhead per model in a run on the embedded ClickHouse. Each benchmark
// has a baseline measured in the same run, so docs/benchmarks.md can report ratios that survive
// a change of machine.
package bench

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/session"
)

// childEnv makes the test binary compile a project once and print its peak RSS, so the
// measurement is not polluted by the parent benchmark's heap.
const childEnv = "DWM_BENCH_COMPILE_CHILD"

// writeEnv makes the test binary write the 10,000-model project to a folder and exit, to time
// `dwm compile` on it: DWM_BENCH_WRITE_PROJECT=/tmp/big go test ./engine/bench
const writeEnv = "DWM_BENCH_WRITE_PROJECT"

func TestMain(m *testing.M) {
	if dir := os.Getenv(writeEnv); dir != "" {
		n, err := Write(dir, Big, DWM)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("wrote %d files to %s\n", n, dir)
		os.Exit(0)
	}
	if dir := os.Getenv(childEnv); dir != "" {
		if _, err := compileAll(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(peakRSSKiB())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// compileAll is what `dwm compile` does before writing files: load the project, build the graph,
// select every node and render every model (in parallel, as dwm compile does). It returns how
// many nodes it rendered.
func compileAll(dir string) (int, error) {
	s, err := session.Open(session.Options{ProjectDir: dir})
	if err != nil {
		return 0, err
	}
	ids, _, err := s.Select(nil, nil, []manifest.ResourceType{manifest.Model}, "")
	if err != nil {
		return 0, err
	}
	return s.CompileNodes(ids, false)
}

func peakRSSKiB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return -1
}

func generated(b *testing.B, s Shape) string {
	b.Helper()
	dir := b.TempDir()
	if _, err := Write(dir, s, DWM); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkCompile10k loads, graphs, selects and renders the 10,000-model project.
// It also reports the peak RSS of one compile in a fresh process (peak-RSS-MB).
func BenchmarkCompile10k(b *testing.B) {
	dir := generated(b, Big)
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("child compile: %v\n%s", err, out)
	}
	kib, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		b.Fatalf("child output %q", out)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n, err := compileAll(dir)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			b.Fatal("nothing compiled")
		}
	}
	b.ReportMetric(float64(kib)/1024, "peak-RSS-MB")
}

// BenchmarkCompile10kBaseline is the floor for BenchmarkCompile10k: Baseline, a bare
// text/template parse+execute of the same files.
func BenchmarkCompile10kBaseline(b *testing.B) {
	dir := generated(b, Big)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Baseline(dir); err != nil {
			b.Fatal(err)
		}
	}
}
