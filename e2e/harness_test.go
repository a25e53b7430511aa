// Package e2e runs the dwm binary on the example leagues warehouse end to end: the weekly
// simulation, idempotence, full refresh against incremental, and recovery after kill -9. Each dwm
// call is a separate process, as a user would run it, on the real embedded ClickHouse.
//
// Every test that builds a warehouse runs in parallel with the others (t.Parallel, up to -parallel
// at once, GOMAXPROCS by default): each works in its own directories, with its own dwm serve on a
// free port, and the package is the longest of make test, so while one test waits on a single
// dwm process the other keeps the second core busy.
package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// dwmBin is the binary built once for the package's tests (set in TestMain, read-only after).
var dwmBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dwm-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	dwmBin = filepath.Join(dir, "dwm")
	build := exec.Command("go", "build", "-o", dwmBin, "../cmd/dwm")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build dwm: %v\n%s", err, out)
		os.Exit(2)
	}
	code := m.Run()
	if path := os.Getenv("DWM_E2E_CPU"); path != "" {
		cpuUsed.write(path)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// repoRoot is the repository holding the example project.
func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// copyProject copies the example project (not its data or warehouse) into a fresh folder.
func copyProject(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	root := repoRoot(t)
	for _, p := range []string{"project.yml", "models", "macros", "tests", "seeds"} {
		src := filepath.Join(root, p)
		if _, err := os.Stat(src); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := copyTree(src, filepath.Join(dst, p)); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// copyTree copies files and folders; the warehouse directory is copied the same way when no
// process has it open.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

// result is one finished dwm process.
type result struct {
	stdout, stderr string
	code           int
	killed         bool // ended by SIGKILL
}

func dwm(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(dwmBin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	cpuUsed.charge(t, cmd.ProcessState, args[0])
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			r.killed = true
		}
	default:
		t.Fatalf("dwm %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// mustDwm runs dwm and fails the test unless it exits 0.
func mustDwm(t *testing.T, dir string, args ...string) result {
	t.Helper()
	r := dwm(t, dir, nil, args...)
	if r.code != 0 {
		t.Fatalf("dwm %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, tail(r.stdout, 60), r.stderr)
	}
	return r
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// checksums returns `dwm checksum` output as model -> "rows hash", leaving out load-time columns.
func checksums(t *testing.T, dir string) map[string]string {
	t.Helper()
	r := mustDwm(t, dir, "checksum", "--ignore-columns", "inserted_at")
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		f := strings.Split(line, "\t")
		if len(f) == 3 {
			out[f[0]] = f[1] + " " + f[2]
		}
	}
	if len(out) < 15 {
		t.Fatalf("checksum listed only %d relations:\n%s", len(out), r.stdout)
	}
	return out
}

func diffSums(a, b map[string]string) []string {
	var d []string
	for k, v := range a {
		if b[k] != v {
			d = append(d, fmt.Sprintf("%s: %s vs %s", k, v, b[k]))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, k+": missing on one side")
		}
	}
	return d
}

// small keeps CI fast while still filling dozens of league groups a week.
var small = []string{"--initial-users", "400", "--weekly-signups", "80"}
