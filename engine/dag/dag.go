// Package dag is dwm's dependency graph. It holds only node IDs, never nodes: the manifest owns
// the data, the DAG owns the edges (dependency -> dependent), and answers the questions the
// selector and the runner ask: parents, children, ancestors, descendants and dependency order.
//
// Edges are added through github.com/dominikbraun/graph, backed by an int-indexed store (see
// indexStore) that the queries then read directly. The library's own topological sorts are not
// used: StableTopologicalSort is O(V²) and its ties are not broken by ID; Kahn's algorithm with
// a heap is, and also lets Build name the cycle when there is one.
package dag

import (
	"errors"
	"fmt"
	"slices"

	"github.com/dominikbraun/graph"

	"github.com/dwmhq/dwm/engine/manifest"
)

// DAG is an immutable, acyclic dependency graph of node IDs. It is safe for concurrent reads.
type DAG struct {
	ids   []string       // sorted, so comparing indexes compares IDs
	index map[string]int // ID -> position in ids
	// parents[i] and children[i] are sorted indexes of the direct neighbours of ids[i].
	parents  [][]int
	children [][]int
	topo     []int // every index, dependencies first, ties broken by ID
}

// Build builds the graph of a manifest, with an edge from each entry of a node's DependsOn to the
// node. It fails with *MissingDependencyError (joined, one per edge) when a node depends on an ID
// the manifest does not hold, and with *CycleError when the dependencies form a cycle.
func Build(m *manifest.Manifest) (*DAG, error) {
	ids := m.SortedIDs() // vertices added in ID order get indexes in ID order
	store := newIndexStore(len(ids))
	g := graph.NewWithStore(graph.StringHash, store, graph.Directed())
	for _, id := range ids {
		if err := g.AddVertex(id); err != nil {
			return nil, fmt.Errorf("build dag: add %s: %w", id, err)
		}
	}

	var missing []error
	for _, id := range ids {
		n := m.Nodes[id]
		if n == nil {
			continue
		}
		for _, dep := range n.DependsOn {
			if _, ok := m.Nodes[dep]; !ok {
				missing = append(missing, &MissingDependencyError{Node: id, Missing: dep})
				continue
			}
			// PreventCycles would search the graph on every edge; one pass afterwards is
			// linear and can report the cycle itself.
			err := g.AddEdge(dep, id)
			if err != nil && !errors.Is(err, graph.ErrEdgeAlreadyExists) {
				return nil, fmt.Errorf("build dag: edge %s -> %s: %w", dep, id, err)
			}
		}
	}
	if len(missing) > 0 {
		return nil, errors.Join(missing...)
	}

	store.seal()
	d := &DAG{ids: store.ids, index: store.index, parents: store.parents, children: store.children}
	if err := d.sortTopologically(); err != nil {
		return nil, err
	}
	return d, nil
}

// Len is the number of nodes.
func (d *DAG) Len() int { return len(d.ids) }

// Has reports whether id is a node of the graph.
func (d *DAG) Has(id string) bool {
	_, ok := d.index[id]
	return ok
}

// IDs returns every node ID, sorted.
func (d *DAG) IDs() []string { return slices.Clone(d.ids) }

// Parents returns the direct dependencies of id, sorted; nil for an unknown id.
func (d *DAG) Parents(id string) []string {
	i, ok := d.index[id]
	if !ok {
		return nil
	}
	return d.names(d.parents[i])
}

// Children returns the direct dependents of id, sorted; nil for an unknown id.
func (d *DAG) Children(id string) []string {
	i, ok := d.index[id]
	if !ok {
		return nil
	}
	return d.names(d.children[i])
}

// names maps sorted indexes to their IDs, which are then sorted too.
func (d *DAG) names(idx []int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = d.ids[i]
	}
	return out
}

// indexes maps IDs to sorted, unique indexes, dropping IDs the graph does not hold.
func (d *DAG) indexes(ids []string) []int {
	out := make([]int, 0, len(ids))
	for _, id := range ids {
		if i, ok := d.index[id]; ok {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
