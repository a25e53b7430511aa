// Command compilebench times whole-process `dwm compile` and `dwm ls` on generated projects,
// side by side with `dbt parse` of the same project written for dbt and with a bare
// text/template parse+execute of the same files, and prints medians and ratios measured in
// the same run. scripts/bench-compile.sh builds dwm, installs dbt and runs it; docs/benchmarks.md
// records its output.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dwmhq/dwm/engine/bench"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-baseline" {
		if _, err := bench.Baseline(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	sizes := flag.String("models", "1000,10000", "project sizes, comma separated")
	runs := flag.Int("runs", 7, "timed runs of each dwm command and of the baseline (median reported)")
	dbtRuns := flag.Int("dbt-runs", 3, "timed runs of dbt parse (fewer at 10,000 models: see -dbt-max-runs-10k)")
	dbtRuns10k := flag.Int("dbt-max-runs-10k", 1, "timed runs of dbt parse for projects of 10,000 models or more")
	dwm := flag.String("dwm", "bin/dwm", "the dwm binary")
	dbt := flag.String("dbt-venv", "", "a Python venv with dbt-core and dbt-clickhouse; empty skips dbt parse")
	work := flag.String("dir", "", "where to generate the projects (default: a temp dir, removed after)")
	flag.Parse()
	if err := run(*sizes, *runs, *dbtRuns, *dbtRuns10k, *dwm, *dbt, *work); err != nil {
		fmt.Fprintln(os.Stderr, "compilebench:", err)
		os.Exit(1)
	}
}

// sample is one timed process.
type sample struct {
	wall, user, sys time.Duration
	rssMB           float64
}

// series is the samples of one command, summarised by their medians.
type series []sample

func (s series) median(f func(sample) float64) float64 {
	v := make([]float64, len(s))
	for i, x := range s {
		v[i] = f(x)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func (s series) wall() float64 { return s.median(func(x sample) float64 { return x.wall.Seconds() }) }

func (s series) String() string {
	lo := slices.MinFunc(s, func(a, b sample) int { return int(a.wall - b.wall) })
	hi := slices.MaxFunc(s, func(a, b sample) int { return int(a.wall - b.wall) })
	return fmt.Sprintf("| %.3f s | %.2f–%.2f s | %.2f s | %.2f s | %.0f MB | %d |", s.wall(), lo.wall.Seconds(), hi.wall.Seconds(),
		s.median(func(x sample) float64 { return x.user.Seconds() }), s.median(func(x sample) float64 { return x.sys.Seconds() }),
		s.median(func(x sample) float64 { return x.rssMB }), len(s))
}

// timeIt runs a command once and measures it as the kernel saw it.
func timeIt(dir string, env []string, before func() error, name string, args ...string) (sample, error) {
	if before != nil {
		if err := before(); err != nil {
			return sample{}, err
		}
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errb.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return sample{wall: wall, user: cmd.ProcessState.UserTime(), sys: cmd.ProcessState.SystemTime(), rssMB: float64(ru.Maxrss) / 1024}, nil
}

func repeat(n int, dir string, env []string, before func() error, name string, args ...string) (series, error) {
	if _, err := timeIt(dir, env, before, name, args...); err != nil { // warm the page cache
		return nil, err
	}
	var s series
	for range n {
		x, err := timeIt(dir, env, before, name, args...)
		if err != nil {
			return nil, err
		}
		s = append(s, x)
	}
	return s, nil
}

// removeTrash deletes the target folders fresh runs moved aside (not timed).
func removeTrash(work string) {
	old, _ := filepath.Glob(filepath.Join(work, "old-target-*"))
	for _, o := range old {
		os.RemoveAll(o)
	}
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func run(sizes string, runs, dbtRuns, dbtRuns10k int, dwm, dbt, work string) error {
	dwm, err := filepath.Abs(dwm)
	if err != nil {
		return err
	}
	if work == "" {
		if work, err = os.MkdirTemp("", "compilebench"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	removeTrash(work)
	fmt.Printf("load average before: %s\n\n", loadavg())
	fmt.Println("| models | command | median wall | min–max wall | user | sys | peak RSS | runs |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	var ratios []string
	for _, f := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("-models: %v", err)
		}
		shape := bench.Shape{Models: n, Folders: max(1, min(40, n/250))}
		dwmDir, dbtDir := filepath.Join(work, fmt.Sprintf("dwm-%d", n)), filepath.Join(work, fmt.Sprintf("dbt-%d", n))
		for dir, fl := range map[string]bench.Flavor{dwmDir: bench.DWM, dbtDir: bench.DBT} {
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
			if _, err := bench.Write(dir, shape, fl); err != nil {
				return err
			}
		}
		// A fresh target/ is moved aside, not deleted, before each run: ext4 skips inodes freed in
		// the last minute when it allocates new ones, so deleting 10,000 files right before a
		// compile would time the filesystem's bookkeeping, not dwm.
		trash := 0
		fresh := func() error {
			trash++
			err := os.Rename(filepath.Join(dwmDir, "target"), filepath.Join(work, fmt.Sprintf("old-target-%d-%d", n, trash)))
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		rows := []struct {
			name string
			s    *series
			do   func() (series, error)
		}{
			{name: "`dwm compile` (fresh target/)", do: func() (series, error) { return repeat(runs, dwmDir, nil, fresh, dwm, "compile") }},
			{name: "`dwm compile` (target/ already there)", do: func() (series, error) { return repeat(runs, dwmDir, nil, nil, dwm, "compile") }},
			{name: "`dwm ls`", do: func() (series, error) { return repeat(runs, dwmDir, nil, nil, dwm, "ls") }},
			{name: "bare text/template parse+execute", do: func() (series, error) { return repeat(runs, dwmDir, nil, nil, self, "-baseline", dwmDir) }},
		}
		if dbt != "" {
			k := dbtRuns
			if n >= 10_000 {
				k = dbtRuns10k
			}
			env := []string{"DBT_SEND_ANONYMOUS_USAGE_STATS=false", "DBT_VERSION_CHECK=false"}
			rows = append(rows, struct {
				name string
				s    *series
				do   func() (series, error)
			}{name: "`dbt parse --no-partial-parse`", do: func() (series, error) {
				// The venv's scripts name the interpreter they were installed with; run it explicitly.
				return repeat(k, dbtDir, env, nil, filepath.Join(dbt, "bin", "python"), filepath.Join(dbt, "bin", "dbt"), "parse", "--no-partial-parse", "--profiles-dir", dbtDir, "--project-dir", dbtDir)
			}})
		}
		defer removeTrash(work)
		results := map[string]series{}
		for _, r := range rows {
			s, err := r.do()
			if err != nil {
				return err
			}
			results[r.name] = s
			fmt.Printf("| %d | %s %s\n", n, r.name, s)
		}
		comp, again, ls, base := results[rows[0].name], results[rows[1].name], results[rows[2].name], results[rows[3].name]
		line := fmt.Sprintf("%d models: compile (fresh) %.2fx the bare text/template baseline, ls %.2fx", n, comp.wall()/base.wall(), ls.wall()/base.wall())
		if d, ok := results["`dbt parse --no-partial-parse`"]; ok {
			line += fmt.Sprintf("; dbt parse / dwm compile (fresh) = %.0fx, / dwm compile (again) = %.0fx, / dwm ls = %.0fx",
				d.wall()/comp.wall(), d.wall()/again.wall(), d.wall()/ls.wall())
		}
		ratios = append(ratios, line)
	}
	fmt.Printf("\nload average after: %s\n\n", loadavg())
	for _, r := range ratios {
		fmt.Println(r)
	}
	return nil
}
