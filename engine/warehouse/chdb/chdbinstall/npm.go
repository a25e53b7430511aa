package chdbinstall

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// ErrNoNPM means npm is not on PATH. The message says what to install.
var ErrNoNPM = errors.New("npm not found")

// ErrPackageNotFound means the registry npm uses has no such package or version: for a
// platform package, usually a registry or mirror that does not carry it.
var ErrPackageNotFound = errors.New("package not found")

// npm runs the user's npm with the user's environment, so every npm setting (registry, proxy,
// certificates, cache, .npmrc files) applies as it would in their shell.
type npm struct {
	path string
	env  []string // nil: this process's environment
}

// findNPM looks npm up on PATH, or takes path when given.
func findNPM(path string, env []string) (npm, error) {
	if path == "" {
		p, err := exec.LookPath("npm")
		if err != nil {
			return npm{}, fmt.Errorf("%w on PATH: dwm engine install fetches libchdb (the embedded ClickHouse, "+
				"about 180 MB, once) from the npm registry with npm. Install Node.js, which includes npm "+
				"(Debian/Ubuntu: apt install npm; macOS: brew install node), then run dwm engine install again, "+
				"or point DWM_LIBCHDB at a libchdb.so you already have", ErrNoNPM)
		}
		path = p
	}
	return npm{path: path, env: env}, nil
}

// run runs npm in dir and returns its stdout. On failure the error carries the end of npm's
// stderr, and wraps ErrPackageNotFound when npm says the package or version does not exist.
func (n npm) run(ctx context.Context, dir string, args ...string) (string, error) {
	// Errors only: npm's notices (pack's file list, update hints) are noise here, and failures
	// still print at this level.
	args = append([]string{"--loglevel=error"}, args...)
	cmd := exec.CommandContext(ctx, n.path, args...)
	cmd.Dir = dir
	cmd.Env = n.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return "", fmt.Errorf("npm %s: %w", strings.Join(args[1:], " "), ctx.Err())
	}
	if err != nil {
		msg := tail(stderr.String(), 8)
		if notFound(msg) {
			return "", fmt.Errorf("%w: npm %s: %s", ErrPackageNotFound, strings.Join(args[1:], " "), msg)
		}
		return "", fmt.Errorf("npm %s: %v: %s", strings.Join(args[1:], " "), err, msg)
	}
	return stdout.String(), nil
}

// notFound recognises npm's "no such package or version" errors: E404 from the registry, and
// ETARGET, which older npm versions report for a version the package does not have.
func notFound(stderr string) bool {
	return strings.Contains(stderr, "E404") || strings.Contains(stderr, "ETARGET")
}

// registry is the registry npm is configured with, for messages; "" when npm cannot say.
func (n npm) registry(ctx context.Context) string {
	out, err := n.run(ctx, "", "config", "get", "registry")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// publishedIntegrity reads the package's dist.integrity through npm. Older npm versions print
// nothing (and succeed) for a version that does not exist; that counts as not found too.
func (n npm) publishedIntegrity(ctx context.Context, spec string) (string, error) {
	out, err := n.run(ctx, "", "view", spec, "dist.integrity")
	if err != nil {
		return "", err
	}
	integrity := strings.Trim(strings.TrimSpace(out), `"`)
	if integrity == "" {
		return "", fmt.Errorf("%w: npm view %s printed no dist.integrity", ErrPackageNotFound, spec)
	}
	return integrity, nil
}

// tail returns the last n non-empty lines of s, joined by " | ", for one-line error messages.
func tail(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !npmBoilerplate(l) {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "(npm printed nothing)"
	}
	return strings.Join(lines, " | ")
}

// npmBoilerplate is a line npm adds to every error that says nothing about this one: the path
// of its debug log, the hint about installing from a tarball, bare "404" lines.
func npmBoilerplate(line string) bool {
	l := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(line, "npm error"), "npm ERR!"))
	return l == "404" || strings.Contains(l, "A complete log of this run") ||
		strings.Contains(l, "Note that you can also install from a") || strings.Contains(l, "tarball, folder, http url, or git url")
}
