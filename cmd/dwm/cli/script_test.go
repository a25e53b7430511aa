package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as the dwm command in scripts: every `exec dwm ...` is a
// fresh process, so each has its own embedded ClickHouse (libchdb allows one data directory per
// process) and scripts run in parallel safely.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"dwm": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts replays testdata/script/*.txtar: dwm end to end, on the real embedded ClickHouse.
// Scripts that need the engine start with `[!chdb] skip`; chdb is false only when libchdb is
// missing and DWM_SKIP_CHDB=1 says so deliberately, otherwise a missing library fails here.
func TestScripts(t *testing.T) {
	lib := ""
	for _, p := range chdb.LibraryCandidates("", os.Getenv) {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			lib = p
			break
		}
	}
	if lib == "" && os.Getenv("DWM_SKIP_CHDB") != "1" {
		t.Fatalf("libchdb not found in %v (run `make setup` once; set DWM_SKIP_CHDB=1 to skip engine scripts deliberately)",
			chdb.LibraryCandidates("", os.Getenv))
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv(chdb.EnvLibrary, lib)
			env.Setenv("LIBCHDB", lib) // for scripts that point DWM_LIBCHDB elsewhere first
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "chdb" {
				return lib != "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":     cmdExits,
			"jsonlines": cmdJSONLines,
			"json":      cmdJSON,
			"holdlock":  cmdHoldLock,
			"interrupt": cmdInterrupt,
		},
	})
}

// exits CODE prog args... runs a program and requires exactly that exit code; stdout and
// stderr are then available to the stdout/stderr commands as after exec.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// jsonlines FILE requires every non-empty line of FILE (or stdout/stderr) to be a JSON object
// and at least one line to hold each given "key=value" (value compared as text).
func cmdJSONLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: jsonlines FILE [key=value...]")
	}
	text := ts.ReadFile(args[0])
	found := map[string]bool{}
	n := 0
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			ts.Fatalf("%s line %d is not a JSON object: %v\n%s", args[0], i+1, err, line)
		}
		n++
		for _, kv := range args[1:] {
			k, v, _ := strings.Cut(kv, "=")
			if val, ok := obj[k]; ok && fmt.Sprint(val) == v {
				found[kv] = true
			}
		}
	}
	if n == 0 {
		ts.Fatalf("%s has no JSON lines", args[0])
	}
	for _, kv := range args[1:] {
		if !found[kv] {
			ts.Fatalf("no line of %s has %s", args[0], kv)
		}
	}
}

// json FILE PATH [WANT] requires FILE to be valid JSON with a value at PATH, whose parts are
// separated by / (unique IDs hold dots) and are object keys or array indexes; with WANT, the
// value printed as text must equal it. With !, the path must not exist.
func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: json FILE PATH [WANT]")
	}
	var v any
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &v); err != nil {
		ts.Fatalf("%s is not valid JSON: %v", args[0], err)
	}
	for _, part := range strings.Split(args[1], "/") {
		switch c := v.(type) {
		case map[string]any:
			next, ok := c[part]
			if !ok {
				if neg {
					return
				}
				ts.Fatalf("%s: no key %q on the way to %s", args[0], part, args[1])
			}
			v = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				if neg {
					return
				}
				ts.Fatalf("%s: no index %q on the way to %s (length %d)", args[0], part, args[1], len(c))
			}
			v = c[i]
		default:
			ts.Fatalf("%s: %s: %q is inside a scalar", args[0], args[1], part)
		}
	}
	if neg {
		ts.Fatalf("%s: %s exists", args[0], args[1])
	}
	if len(args) == 3 && fmt.Sprint(v) != args[2] {
		ts.Fatalf("%s: %s = %v, want %s", args[0], args[1], v, args[2])
	}
}

// holdlock DIR takes the data directory lock the way a running dwm does (an exclusive flock on
// DIR/dwm.lock holding the PID) until the script ends, and sets $LOCKPID. The lock is taken
// before the next command starts, so the test needs no timing.
func cmdHoldLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: holdlock DIR")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	f, err := os.OpenFile(filepath.Join(dir, "dwm.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	ts.Check(err)
	ts.Check(syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB))
	pid := strconv.Itoa(os.Getpid())
	_, err = f.WriteAt([]byte(pid+"\n"), 0)
	ts.Check(err)
	ts.Setenv("LOCKPID", pid)
	ts.Defer(func() { f.Close() })
}

// interrupt FILE CODE program args... starts a program, waits until FILE exists (the program
// writes it once it is busy: a compiled model before its query runs), sends it SIGINT as Ctrl-C
// does, and requires exit code CODE. Its output goes to interrupt.stdout and interrupt.stderr.
func cmdInterrupt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: interrupt FILE CODE program [args...]")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	path, err := exec.LookPath(args[2])
	ts.Check(err)
	cmd := exec.Command(path, args[3:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range []string{"PATH", "HOME", chdb.EnvLibrary, "NO_COLOR", "TMPDIR"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	ts.Check(cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	file := ts.MkAbs(args[0])
	deadline := time.After(2 * time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case err := <-done:
			ts.Fatalf("%s ended (%v) before %s appeared\n%s%s", args[2], err, args[0], out.String(), errOut.String())
		case <-deadline:
			_ = cmd.Process.Kill()
			ts.Fatalf("%s did not appear within 2 minutes", args[0])
		case <-tick.C:
			_, err := os.Stat(file)
			waiting = err != nil
		}
	}
	ts.Check(cmd.Process.Signal(os.Interrupt))
	var got int
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			got = ee.ExitCode()
		} else if err != nil {
			ts.Fatalf("%s: %v", args[2], err)
		}
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		ts.Fatalf("%s did not stop within 2 minutes of SIGINT", args[2])
	}
	ts.Check(os.WriteFile(ts.MkAbs("interrupt.stdout"), []byte(out.String()), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs("interrupt.stderr"), []byte(errOut.String()), 0o644))
	if got != want {
		ts.Fatalf("%s exited %d after SIGINT, want %d\n%s%s", args[2], got, want, out.String(), errOut.String())
	}
}
