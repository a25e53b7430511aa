package dag

import (
	"fmt"
	"slices"
)

// Order returns the given IDs in dependency order (the order of TopoOrder), without duplicates.
// Unknown IDs are dropped; use Plan to have them reported.
func (d *DAG) Order(ids []string) []string {
	selected := make([]bool, len(d.ids))
	for _, i := range d.indexes(ids) {
		selected[i] = true
	}
	out := make([]string, 0, len(ids))
	for _, i := range d.topo {
		if selected[i] {
			out = append(out, d.ids[i])
		}
	}
	return out
}

// Plan is the dependency structure of a selected subset of the graph, shaped for a parallel
// runner: start every node whose Upstream is empty, start a node once all its Upstream nodes
// have finished, and when one fails, skip its Blocked nodes.
type Plan struct {
	// Order is every selected ID in dependency order; running it one by one is always valid.
	Order []string
	// Upstream maps each selected ID to the selected IDs it waits for, sorted. A node waits for
	// selected ancestors reached through unselected nodes too (a, c selected in a -> b -> c: c
	// waits for a), as in dbt, because the unselected b may read what a builds.
	Upstream map[string][]string
	// Downstream is Upstream reversed: the selected IDs that wait for each ID, sorted.
	Downstream map[string][]string
}

// Plan returns the plan for the selected IDs. Every ID must be a node of the graph.
func (d *DAG) Plan(ids []string) (*Plan, error) {
	selected := make([]bool, len(d.ids))
	for _, id := range ids {
		i, ok := d.index[id]
		if !ok {
			return nil, fmt.Errorf("plan: %s is not in the graph", id)
		}
		selected[i] = true
	}
	p := &Plan{
		Order:      d.Order(ids),
		Upstream:   make(map[string][]string, len(ids)),
		Downstream: make(map[string][]string, len(ids)),
	}
	// frontier[i] of an unselected node: the nearest selected ancestors, memoised because
	// long unselected chains are shared by many selected descendants.
	frontier := map[int][]int{}
	var nearest func(i int) []int
	nearest = func(i int) []int {
		if f, ok := frontier[i]; ok {
			return f
		}
		var f []int
		for _, q := range d.parents[i] {
			if selected[q] {
				f = append(f, q)
			} else {
				f = append(f, nearest(q)...)
			}
		}
		slices.Sort(f)
		f = slices.Compact(f)
		frontier[i] = f
		return f
	}
	for _, id := range p.Order {
		up := d.names(nearest(d.index[id]))
		p.Upstream[id] = up
		for _, u := range up {
			p.Downstream[u] = append(p.Downstream[u], id)
		}
	}
	// Downstream lists were filled in dependency order; sort them by ID as documented.
	for _, down := range p.Downstream {
		slices.Sort(down)
	}
	return p, nil
}

// Blocked returns every selected node that must be skipped when id fails: its transitive
// Downstream, in dependency order.
func (p *Plan) Blocked(id string) []string {
	seen := map[string]bool{}
	stack := slices.Clone(p.Downstream[id])
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[n] {
			continue
		}
		seen[n] = true
		stack = append(stack, p.Downstream[n]...)
	}
	var out []string
	for _, n := range p.Order {
		if seen[n] {
			out = append(out, n)
		}
	}
	return out
}
