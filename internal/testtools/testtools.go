// Package testtools gives tests the real components they run against (an S3 server, ClickHouse
// clients in Python and Node.js, a browser), installed on first use by scripts/test-tool.sh into
// dwm's cache, so `make test` on a fresh clone needs nothing installed by hand.
//
// A tool that cannot be installed fails the test: these parts exist on every machine the
// project supports, and a test that silently skipped would prove nothing in CI.
package testtools

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Tool names accepted by Path.
const (
	Versitygw = "versitygw" // path of the versitygw binary (S3 gateway)
	Python    = "python"    // a venv directory with scripts/testtools/requirements.txt installed
	Node      = "node"      // a directory whose node_modules hold scripts/testtools/package.json
	Chromium  = "chromium"  // path of the chromium binary
)

// Path installs tool when needed and returns its path (see the constants). It fails t when the
// install fails, with the installer's output.
func Path(t testing.TB, tool string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(repoRoot(), "scripts", "test-tool.sh"), tool)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("install test tool %s: %v\n%s", tool, err, stderr.String())
	}
	p := strings.TrimSpace(stdout.String())
	if p == "" {
		t.Fatalf("install test tool %s: no path printed\n%s", tool, stderr.String())
	}
	return p
}

// PythonBin returns the venv's python, installing the venv when needed.
func PythonBin(t testing.TB) string {
	t.Helper()
	return filepath.Join(Path(t, Python), "bin", "python")
}

// repoRoot is the repository this file belongs to.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}
