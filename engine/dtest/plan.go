package dtest

import (
	"slices"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/runner"
)

// Descendants answers which nodes depend, directly or not, on a node (the DAG does).
type Descendants interface {
	Descendants(id string, depth int) []string
}

// BuildPlan returns the reshaping `dwm build` applies to a run plan, as dbt does:
//   - a model's unit tests run before it (they take the model's upstream nodes instead), and the
//     model waits for them, so a failing unit test skips the model and its descendants;
//   - a node's children wait for the data tests attached to it, so a failing error-severity test
//     skips them. A test that also depends on a descendant of the child (a relationships test
//     pointing downstream) adds no edge, since that would be a cycle;
//   - a pii_erased test waits for the data subject models (meta pii_subject) that are not
//     downstream of its model: a subject's build logs upstream deletions and scrubs every table,
//     so a test running meanwhile would see a subject half erased.
//
// It is pure apart from the DAG lookups and keeps Order a valid dependency order.
func BuildPlan(m *manifest.Manifest, d Descendants) func(runner.Plan) runner.Plan {
	return func(p runner.Plan) runner.Plan {
		in := map[string]bool{}
		for _, id := range p.Order {
			in[id] = true
		}
		deps := make(map[string][]string, len(p.Deps))
		for id, ds := range p.Deps {
			deps[id] = slices.Clone(ds)
		}
		// tests of each node, and the selected nodes that wait for each node (before reshaping).
		tests := map[string][]string{}
		children := map[string][]string{}
		for _, id := range p.Order {
			n := m.Nodes[id]
			if n == nil {
				continue
			}
			if n.ResourceType == manifest.Test && n.Test != nil && n.Test.AttachedTo != "" && in[n.Test.AttachedTo] {
				tests[n.Test.AttachedTo] = append(tests[n.Test.AttachedTo], id)
			}
			if n.ResourceType != manifest.Test && n.ResourceType != manifest.UnitTest {
				for _, up := range p.Deps[id] {
					children[up] = append(children[up], id)
				}
			}
		}
		for _, id := range p.Order {
			n := m.Nodes[id]
			if n == nil || n.ResourceType != manifest.UnitTest || n.Test == nil || !in[n.Test.AttachedTo] {
				continue
			}
			model := n.Test.AttachedTo
			deps[id] = slices.Clone(p.Deps[model])
			deps[model] = append(deps[model], id)
		}
		for parent, ts := range tests {
			for _, child := range children[parent] {
				var down map[string]bool
				for _, t := range ts {
					if down == nil {
						down = map[string]bool{child: true}
						for _, x := range d.Descendants(child, -1) {
							down[x] = true
						}
					}
					if !dependsOnAny(m.Nodes[t], down) {
						deps[child] = append(deps[child], t)
					}
				}
			}
		}
		piiErasedWaitsForSubjects(m, d, p.Order, in, deps)
		for id := range deps {
			slices.Sort(deps[id])
			deps[id] = slices.Compact(deps[id])
		}
		return runner.Plan{Order: reorder(p.Order, deps), Deps: deps}
	}
}

func dependsOnAny(n *manifest.Node, set map[string]bool) bool {
	for _, d := range n.DependsOn {
		if set[d] {
			return true
		}
	}
	return false
}

// reorder sorts order so every node comes after its deps, keeping the original order otherwise
// (Kahn's algorithm, always taking the earliest ready node).
func reorder(order []string, deps map[string][]string) []string {
	pos := make(map[string]int, len(order))
	for i, id := range order {
		pos[id] = i
	}
	waiting := make(map[string]int, len(order))
	children := map[string][]string{}
	for _, id := range order {
		for _, d := range deps[id] {
			if _, ok := pos[d]; ok {
				waiting[id]++
				children[d] = append(children[d], id)
			}
		}
	}
	var ready []int
	for i, id := range order {
		if waiting[id] == 0 {
			ready = append(ready, i)
		}
	}
	out := make([]string, 0, len(order))
	for len(ready) > 0 {
		slices.Sort(ready)
		i := ready[0]
		ready = ready[1:]
		out = append(out, order[i])
		for _, c := range children[order[i]] {
			waiting[c]--
			if waiting[c] == 0 {
				ready = append(ready, pos[c])
			}
		}
	}
	if len(out) != len(order) {
		return order // a cycle would be a bug above; the runner then reports nodes as never started
	}
	return out
}

// piiErasedWaitsForSubjects adds the pii_erased edges (see BuildPlan).
func piiErasedWaitsForSubjects(m *manifest.Manifest, d Descendants, order []string, in map[string]bool, deps map[string][]string) {
	var subjects []string
	for _, id := range order {
		if n := m.Nodes[id]; n != nil && n.ResourceType == manifest.Model {
			if b, _ := n.Meta["pii_subject"].(bool); b {
				subjects = append(subjects, id)
			}
		}
	}
	if len(subjects) == 0 {
		return
	}
	for _, id := range order {
		n := m.Nodes[id]
		if n == nil || n.ResourceType != manifest.Test || n.Test == nil || n.Test.Name != "pii_erased" || !in[n.Test.AttachedTo] {
			continue
		}
		down := map[string]bool{}
		for _, x := range d.Descendants(n.Test.AttachedTo, -1) {
			down[x] = true
		}
		for _, s := range subjects {
			if s != n.Test.AttachedTo && !down[s] {
				deps[id] = append(deps[id], s)
			}
		}
	}
}
