package chdb

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// child is a copy of the test binary in a child-process role.
type child struct {
	cmd    *exec.Cmd
	stdin  interface{ Close() error }
	stdout *bufio.Reader
	stderr *bytes.Buffer
}

func startChild(t *testing.T, role, dir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+role, "DWM_CHDB_TEST_DIR="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin, stdout: bufio.NewReader(stdout), stderr: &bytes.Buffer{}}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return c
}

// waitReady waits, bounded, for the child's "ready" line.
func (c *child) waitReady(t *testing.T) {
	t.Helper()
	line := make(chan string, 1)
	go func() {
		s, _ := c.stdout.ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if strings.TrimSpace(s) != "ready" {
			t.Fatalf("child said %q, stderr:\n%s", s, c.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("child not ready after 30s, stderr:\n%s", c.stderr)
	}
}

// wait waits, bounded, for the child to exit.
func (c *child) wait(t *testing.T, limit time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		_ = c.cmd.Process.Kill()
		t.Fatalf("child still running after %v, stderr:\n%s", limit, c.stderr)
		return nil
	}
}

// A Go panic after connecting must kill the process at once. Without
// chdb_set_signal_handlers_enabled(0), libchdb's SIGSEGV handler made this hang for minutes.
func TestPanicAfterConnectExitsPromptly(t *testing.T) {
	requireLib(t)
	c := startChild(t, "panic", t.TempDir())
	start := time.Now()
	err := c.wait(t, 20*time.Second)
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("child exit: %v, want a non-zero exit; stderr:\n%s", err, c.stderr)
	}
	if !strings.Contains(c.stderr.String(), "nil pointer dereference") {
		t.Fatalf("child stderr lacks the Go panic:\n%s", c.stderr)
	}
	t.Logf("child panicked and exited in %v", time.Since(start))
}

func TestSecondProcessGetsErrLocked(t *testing.T) {
	requireLib(t)
	dir := t.TempDir()
	c := startChild(t, "hold", dir)
	c.waitReady(t)

	_, err := Open(context.Background(), Options{Path: dir})
	if !errors.Is(err, warehouse.ErrLocked) {
		t.Fatalf("Open while another process holds %s: %v, want ErrLocked", dir, err)
	}
	pid := strconv.Itoa(c.cmd.Process.Pid)
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), pid) {
		t.Fatalf("error %q should name the directory and PID %s", err, pid)
	}

	_ = c.stdin.Close()
	if err := c.wait(t, 20*time.Second); err != nil {
		t.Fatalf("child: %v\n%s", err, c.stderr)
	}
	// Once the holder is gone the directory opens normally.
	w := openTest(t, Options{Path: dir})
	mustQuery1(t, w, "SELECT 1")
}

// Data written before kill -9 survives, and the stale status and lock files do not block reopening.
func TestReopenAfterKill9(t *testing.T) {
	requireLib(t)
	dir := t.TempDir()
	c := startChild(t, "write", dir)
	c.waitReady(t)
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.wait(t, 20*time.Second)

	w := openTest(t, Options{Path: dir})
	if got := mustQuery1(t, w, "SELECT count() FROM t"); got != "1000" {
		t.Fatalf("rows after kill -9 = %s, want 1000", got)
	}
}
