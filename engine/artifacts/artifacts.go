// Package artifacts writes what a dwm invocation leaves in target/: manifest.json,
// run_results.json, and the SQL that was compiled and executed, as dbt users expect to find them.
package artifacts

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/internal/osfs"
)

// Dir is a project's target directory.
type Dir string

// CompiledPath is where the compiled SQL of a node is written: target/compiled/<project>/<path>.
func (d Dir) CompiledPath(project string, n *manifest.Node) string {
	return filepath.Join(string(d), "compiled", project, filepath.FromSlash(n.Path))
}

// RunPath is where the statements executed for a node are written.
func (d Dir) RunPath(project string, n *manifest.Node) string {
	return filepath.Join(string(d), "run", project, filepath.FromSlash(n.Path))
}

// WriteFile writes data atomically (temp file + rename), creating folders, so a killed run never
// leaves a half-written artifact behind.
func WriteFile(path string, data []byte) error {
	return osfs.WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

type metadata struct {
	DwmVersion   string    `json:"dwm_version"`
	GeneratedAt  time.Time `json:"generated_at"`
	InvocationID string    `json:"invocation_id"`
	Target       string    `json:"target"`
}

// RunResults is target/run_results.json.
type RunResults struct {
	Metadata    metadata        `json:"metadata"`
	Command     string          `json:"command"`
	Args        map[string]any  `json:"args"`
	ElapsedTime float64         `json:"elapsed_time"`
	Results     []runner.Result `json:"results"`
}

// WriteRunResults writes target/run_results.json.
func (d Dir) WriteRunResults(command string, args map[string]any, version, invocation, target string, elapsed time.Duration, results []runner.Result) error {
	rr := RunResults{Metadata: metadata{version, time.Now().UTC(), invocation, target}, Command: command, Args: args,
		ElapsedTime: elapsed.Seconds(), Results: results}
	if rr.Results == nil {
		rr.Results = []runner.Result{}
	}
	return d.writeJSON("run_results.json", rr)
}

func (d Dir) writeJSON(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if err := WriteFile(filepath.Join(string(d), name), append(data, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// SQLLog collects the statements executed for one node, to be written to target/run/.
type SQLLog struct{ b strings.Builder }

// Add appends one statement.
func (l *SQLLog) Add(sql string) {
	l.b.WriteString(strings.TrimRight(sql, "; \n\t"))
	l.b.WriteString(";\n\n")
}

// String returns the collected statements.
func (l *SQLLog) String() string { return l.b.String() }
