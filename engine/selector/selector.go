// Package selector implements dbt's node selection syntax: --select and --exclude strings are
// parsed into an expression tree (Union, Intersection, Difference, Criterion) and evaluated
// against the DAG and the manifest, in dbt's order: methods first, then graph operators, then
// indirect test selection, then set operators.
//
// Semantics follow dbt's "Node selection syntax", "Graph operators", "Set operators",
// "Methods" and "Test selection examples" pages; the one addition is noted on matchFQN.
package selector

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dwmhq/dwm/engine/dag"
	"github.com/dwmhq/dwm/engine/manifest"
)

// IndirectSelection is dbt's --indirect-selection mode: which tests a selection pulls in
// because they test selected nodes.
type IndirectSelection string

// Indirect selection modes.
const (
	// IndirectEager selects a test when any node it depends on is selected (dbt's default).
	IndirectEager IndirectSelection = "eager"
	// IndirectCautious selects a test only when every node it depends on is selected.
	IndirectCautious IndirectSelection = "cautious"
	// IndirectBuildable selects a test when every node it depends on is selected or is an
	// ancestor of a selected node.
	IndirectBuildable IndirectSelection = "buildable"
	// IndirectEmpty selects only tests that were selected directly.
	IndirectEmpty IndirectSelection = "empty"
)

// ParseIndirectSelection checks a --indirect-selection value; "" means eager.
func ParseIndirectSelection(s string) (IndirectSelection, error) {
	switch m := IndirectSelection(strings.ToLower(s)); m {
	case "":
		return IndirectEager, nil
	case IndirectEager, IndirectCautious, IndirectBuildable, IndirectEmpty:
		return m, nil
	}
	return "", fmt.Errorf("unknown indirect selection mode %q (want eager, cautious, buildable or empty)", s)
}

// Options tune an evaluation. The zero value is dbt's default.
type Options struct {
	// Indirect is how tests are selected through the nodes they test; "" means eager.
	// Commands that never run tests can leave it alone and filter tests out of the result.
	Indirect IndirectSelection
	// State answers the state and result methods; nil when no --state was given, and then
	// Parse's caller should have refused them (see Uses).
	State State
}

// State is a previous invocation to compare with (engine/state implements it).
type State interface {
	// Match answers state:<value> ("new", "modified", "modified.body", ...) for a current node.
	Match(m *manifest.Manifest, n *manifest.Node, value string) bool
	// Result answers result:<status>.
	Result(n *manifest.Node, status string) bool
}

// Uses reports whether an expression uses one of the given methods anywhere.
func Uses(e Expr, methods ...Method) bool {
	switch e := e.(type) {
	case *Criterion:
		return slices.Contains(methods, e.Method)
	case *Union:
		return slices.ContainsFunc(e.Exprs, func(x Expr) bool { return Uses(x, methods...) })
	case *Intersection:
		return slices.ContainsFunc(e.Exprs, func(x Expr) bool { return Uses(x, methods...) })
	case *Difference:
		return Uses(e.Include, methods...) || Uses(e.Exclude, methods...)
	}
	return false
}

// Warning reports a criterion whose method matched no node, which is usually a typo.
type Warning struct {
	Criterion   string   // as written
	Suggestions []string // up to three near matches, nearest first
}

// String renders the warning as a sentence for the user.
func (w Warning) String() string {
	s := fmt.Sprintf("nothing matched '%s'", w.Criterion)
	if len(w.Suggestions) > 0 {
		s += "; did you mean " + strings.Join(w.Suggestions, ", ") + "?"
	}
	return s
}

// Select evaluates the selection and returns the selected node IDs, sorted, with warnings for
// criteria that matched nothing. Every node type is considered; callers keep the resource
// types their command runs.
func (s *Selection) Select(d *dag.DAG, m *manifest.Manifest, opts Options) ([]string, []Warning) {
	return Evaluate(s.Expr, d, m, opts)
}

// Evaluate evaluates any expression tree, as Selection.Select does.
func Evaluate(e Expr, d *dag.DAG, m *manifest.Manifest, opts Options) ([]string, []Warning) {
	if opts.Indirect == "" {
		opts.Indirect = IndirectEager
	}
	ev := &evaluator{dag: d, m: m, opts: opts, ids: d.IDs(), warned: map[string]bool{}}
	r := e.eval(ev)
	out := make([]string, 0, len(r.direct))
	if len(r.direct)*8 >= len(ev.ids) {
		// Most of the graph (`dwm ls` selects all 40,000 nodes of the compile benchmark):
		// picking them out of the sorted IDs is a lookup each, where sorting was 30 ms.
		for _, id := range ev.ids {
			if _, ok := r.direct[id]; ok {
				out = append(out, id)
			}
		}
		if len(out) == len(r.direct) {
			return out, ev.warnings
		}
		out = out[:0] // a selected ID outside the graph: sort them all, as below
	}
	for id := range r.direct {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, ev.warnings
}
