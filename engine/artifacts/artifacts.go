// Package artifacts writes what a dwm invocation leaves in target/: manifest.json,
// run_results.json, and the SQL that was compiled and executed, as dbt users expect to find them.
package artifacts

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/runner"
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
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	// CreateTemp makes the file private (0600); artifacts are ordinary readable files.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

type metadata struct {
	DwmVersion   string    `json:"dwm_version"`
	GeneratedAt  time.Time `json:"generated_at"`
	InvocationID string    `json:"invocation_id"`
	Target       string    `json:"target"`
}

// WriteManifest writes target/manifest.json: every node with its dependencies, config and checksum.
func (d Dir) WriteManifest(m *manifest.Manifest, version, invocation, target string) error {
	doc := struct {
		Metadata  metadata                  `json:"metadata"`
		Nodes     map[string]*manifest.Node `json:"nodes"`
		Sources   map[string]*manifest.Node `json:"sources"`
		Macros    map[string]string         `json:"macros"`
		ParentMap map[string][]string       `json:"parent_map"`
		ChildMap  map[string][]string       `json:"child_map"`
	}{Metadata: metadata{version, time.Now().UTC(), invocation, target}, Nodes: map[string]*manifest.Node{},
		Sources: map[string]*manifest.Node{}, Macros: m.Macros, ParentMap: map[string][]string{}, ChildMap: map[string][]string{}}
	for id, n := range m.Nodes {
		if n.ResourceType == manifest.Source {
			doc.Sources[id] = n
		} else {
			doc.Nodes[id] = n
		}
		doc.ParentMap[id] = append([]string{}, n.DependsOn...)
		if _, ok := doc.ChildMap[id]; !ok {
			doc.ChildMap[id] = []string{}
		}
		for _, p := range n.DependsOn {
			doc.ChildMap[p] = append(doc.ChildMap[p], id)
		}
	}
	// Compact, as dbt writes it: indenting a 10,000-model manifest doubled the time to write it.
	return d.writeJSON("manifest.json", doc, false)
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
	return d.writeJSON("run_results.json", rr, true)
}

// WriteSources writes target/sources.json, the results of `dwm source freshness` (dbt's shape:
// metadata, elapsed_time and one result per source table).
func (d Dir) WriteSources(version, invocation, target string, elapsed time.Duration, results any) error {
	doc := struct {
		Metadata    metadata `json:"metadata"`
		ElapsedTime float64  `json:"elapsed_time"`
		Results     any      `json:"results"`
	}{metadata{version, time.Now().UTC(), invocation, target}, elapsed.Seconds(), results}
	return d.writeJSON("sources.json", doc, true)
}

func (d Dir) writeJSON(name string, v any, indent bool) error {
	var data []byte
	var err error
	if indent {
		data, err = json.MarshalIndent(v, "", "  ")
	} else {
		data, err = json.Marshal(v)
	}
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
