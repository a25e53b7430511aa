// Package state reads a previous invocation's artifacts (a target/ folder given as --state) and
// compares the current project with them: dbt's state:new and state:modified selectors, the
// result:<status> selector, and the relations --defer reads unselected parents from.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/dwmhq/dwm/engine/manifest"
)

// node is what the comparison needs of a node in the previous manifest.
type node struct {
	ResourceType    string            `json:"resource_type"`
	Checksum        string            `json:"checksum"`
	RawCode         string            `json:"raw_code"`
	Config          json.RawMessage   `json:"config"`
	Columns         []manifest.Column `json:"columns"`
	DependsOnMacros []string          `json:"depends_on_macros"`
	Database        string            `json:"database"`
	Alias           string            `json:"alias"`
	Test            json.RawMessage   `json:"test_metadata"`
	Source          json.RawMessage   `json:"source"`
}

// State is a previous target/ folder: its manifest and, when present, its run results.
type State struct {
	Dir     string
	nodes   map[string]*node
	macros  map[string]string // macro name -> checksum
	results map[string]string // unique ID -> status of the last run
	// HasResults is false when the folder has no run_results.json.
	HasResults bool
}

// Load reads DIR/manifest.json and, if present, DIR/run_results.json.
func Load(dir string) (*State, error) {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("--state %s: no manifest.json there (point --state at the target/ folder of a previous run)", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("--state: %w", err)
	}
	var doc struct {
		Nodes   map[string]*node  `json:"nodes"`
		Sources map[string]*node  `json:"sources"`
		Macros  map[string]string `json:"macro_checksums"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("--state %s: manifest.json: %w", dir, err)
	}
	s := &State{Dir: dir, nodes: doc.Nodes, macros: doc.Macros, results: map[string]string{}}
	if s.nodes == nil {
		s.nodes = map[string]*node{}
	}
	for id, n := range doc.Sources {
		s.nodes[id] = n
	}
	data, err = os.ReadFile(filepath.Join(dir, "run_results.json"))
	if err == nil {
		var rr struct {
			Results []struct {
				UniqueID string `json:"unique_id"`
				Status   string `json:"status"`
			} `json:"results"`
		}
		if err := json.Unmarshal(data, &rr); err != nil {
			return nil, fmt.Errorf("--state %s: run_results.json: %w", dir, err)
		}
		for _, r := range rr.Results {
			s.results[r.UniqueID] = r.Status
		}
		s.HasResults = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("--state: %w", err)
	}
	return s, nil
}

// Aspects of state:modified, as dbt's sub-selectors name them.
const (
	Body     = "body"
	Configs  = "configs"
	Macros   = "macros"
	Contract = "contract"
)

// Values are the values the state method accepts.
var Values = []string{"new", "old", "modified", "unmodified", "modified." + Body, "modified." + Configs,
	"modified." + Macros, "modified." + Contract}

// Match answers state:<value> for a node of the current manifest m.
func (s *State) Match(m *manifest.Manifest, n *manifest.Node, value string) bool {
	prev, existed := s.nodes[n.UniqueID]
	switch value {
	case "new":
		return !existed
	case "old":
		return existed
	case "modified":
		return !existed || s.modified(m, n, prev, Body, Configs, Macros, Contract)
	case "unmodified":
		return existed && !s.modified(m, n, prev, Body, Configs, Macros, Contract)
	}
	aspect, ok := cutModified(value)
	// dbt: a new node is not "modified.body"; it is only state:new and state:modified.
	return ok && existed && s.modified(m, n, prev, aspect)
}

func cutModified(v string) (string, bool) {
	const prefix = "modified."
	if len(v) > len(prefix) && v[:len(prefix)] == prefix {
		return v[len(prefix):], true
	}
	return "", false
}

func (s *State) modified(m *manifest.Manifest, n *manifest.Node, prev *node, aspects ...string) bool {
	for _, a := range aspects {
		var changed bool
		switch a {
		case Body:
			changed = bodyChanged(n, prev)
		case Configs:
			changed = configChanged(n, prev)
		case Macros:
			changed = s.macrosChanged(m, n, prev)
		case Contract:
			changed = contractChanged(n, prev)
		}
		if changed {
			return true
		}
	}
	return false
}

// configChanged compares the resolved configs, leaving the contract to modified.contract so each
// sub-selector answers one question.
func configChanged(n *manifest.Node, prev *node) bool {
	var now, before map[string]any
	_ = json.Unmarshal([]byte(canonical(n.Config)), &now)
	_ = json.Unmarshal([]byte(canonical(prev.Config)), &before)
	for _, c := range []map[string]any{now, before} {
		if raw, ok := c["raw"].(map[string]any); ok {
			delete(raw, "contract")
			if len(raw) == 0 {
				delete(c, "raw")
			}
		}
	}
	return !sameJSON(now, before)
}

// bodyChanged compares the file's checksum; nodes without a file of their own (generic tests,
// sources) compare what defines them instead.
func bodyChanged(n *manifest.Node, prev *node) bool {
	if n.Checksum != "" || prev.Checksum != "" {
		return n.Checksum != prev.Checksum
	}
	return n.RawCode != prev.RawCode || !sameJSON(n.Test, prev.Test) || !sameJSON(n.Source, prev.Source)
}

// macrosChanged reports whether a macro the node calls now differs from the previous manifest's,
// or the node calls a different set of macros.
func (s *State) macrosChanged(m *manifest.Manifest, n *manifest.Node, prev *node) bool {
	if !slices.Equal(n.DependsOnMacros, prev.DependsOnMacros) {
		return true
	}
	for _, name := range n.DependsOnMacros {
		if m.MacroChecksums[name] != s.macros[name] {
			return true
		}
	}
	return false
}

// contractChanged compares what a contract guarantees: whether it is enforced and, if it is (now
// or before), each column's name, type and constraints.
func contractChanged(n *manifest.Node, prev *node) bool {
	now := manifest.ContractEnforced(n.Config.Raw)
	var cfg struct {
		Raw map[string]any `json:"raw"`
	}
	_ = json.Unmarshal(prev.Config, &cfg)
	before := manifest.ContractEnforced(cfg.Raw)
	if now != before {
		return true
	}
	if !now {
		return false
	}
	return !sameJSON(contractColumns(n.Columns), contractColumns(prev.Columns))
}

type contractColumn struct {
	Name, DataType string
	Constraints    []string
}

func contractColumns(cols []manifest.Column) []contractColumn {
	out := make([]contractColumn, len(cols))
	for i, c := range cols {
		out[i] = contractColumn{c.Name, c.DataType, c.Constraints}
	}
	return out
}

// sameJSON compares two values by their canonical JSON (maps sorted, numbers as JSON numbers),
// so a config read back from a manifest equals the one it was written from.
func sameJSON(a, b any) bool {
	return canonical(a) == canonical(b)
}

func canonical(v any) string {
	var raw []byte
	switch v := v.(type) {
	case json.RawMessage:
		raw = v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		raw = b
	}
	var x any
	if len(raw) == 0 || json.Unmarshal(raw, &x) != nil {
		return "null"
	}
	out, _ := json.Marshal(x)
	return string(out)
}

// Result answers result:<status> from the previous run's results.
func (s *State) Result(n *manifest.Node, status string) bool {
	return s.results[n.UniqueID] == status
}

// Relation is where the previous manifest says a node's relation is, for --defer; ok is false
// for nodes it does not know or that build no relation.
func (s *State) Relation(id string) (database, alias string, ok bool) {
	n, found := s.nodes[id]
	if !found || n.Database == "" || n.Alias == "" {
		return "", "", false
	}
	var cfg struct {
		Materialized string `json:"materialized"`
	}
	_ = json.Unmarshal(n.Config, &cfg)
	if cfg.Materialized == "ephemeral" {
		return "", "", false
	}
	return n.Database, n.Alias, true
}
