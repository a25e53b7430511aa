// Package dag is dwm's dependency graph. It holds only node IDs, never nodes: the manifest owns
// the data, the DAG owns the edges (dependency -> dependent), and answers the questions the
// selector and the runner ask: parents, children, ancestors, descendants and dependency order.
//
// The graph is built with github.com/dominikbraun/graph, the project's graph library: vertices
// and edges go through its API and checks (unknown vertices, repeated edges) into a pre-sized
// graph.Store keyed by the int index of each ID (see indexStore), whose adjacency slices the
// queries then read directly. The dependency order is Kahn's algorithm with a heap: linear, ties
// broken by ID, and a proof that the graph is acyclic when it emits every node; when it does
// not, the library's StronglyConnectedComponents finds the cycles. Neither is checked per edge
// (PreventCycles searches the graph on every AddEdge).
//
// On 10,000 models with 30,000 tests, running StronglyConnectedComponents on every build as the
// acyclicity check would cost about as much again as the whole build (its maps and adjacency
// map of 40,000 vertices: BenchmarkCycleCheckSCC10kWithTests vs BenchmarkBuild10kWithTests).
// The library's topological sorts rescan every vertex per step (O(V²)), and TopologicalSort's
// ties follow map order. Its BFS starts from one vertex and rebuilds the adjacency map per call,
// so ancestors and descendants of a set (tag:nightly+) are one multi-source search over the same
// slices.
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
	d, g, err := newGraph(m)
	if err != nil {
		return nil, err
	}
	// Kahn's pass proves the graph acyclic when it emits every node; only then is a second
	// search over the whole graph needed, the library's, to find the cycles.
	if d.sortTopologically(); len(d.topo) < len(d.ids) {
		return nil, d.findCycle(g)
	}
	return d, nil
}

// newGraph adds the manifest's nodes and edges to a library graph and returns the DAG that reads
// its store, without a dependency order yet.
func newGraph(m *manifest.Manifest) (*DAG, graph.Graph[int, int], error) {
	ids := m.SortedIDs()
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	// The library's vertices are the indexes of the sorted IDs (plus one, see vertex), so its
	// checks and maps hash ints instead of IDs, and comparing indexes compares IDs.
	store := newIndexStore(len(ids))
	g := graph.NewWithStore(graph.IntHash, store, graph.Directed())
	for i := range ids {
		if err := g.AddVertex(vertex(i)); err != nil {
			return nil, nil, fmt.Errorf("build dag: add %s: %w", ids[i], err)
		}
	}

	var missing []error
	for i, id := range ids {
		n := m.Nodes[id]
		if n == nil {
			continue
		}
		for _, dep := range n.DependsOn {
			j, ok := index[dep]
			if !ok {
				missing = append(missing, &MissingDependencyError{Node: id, Missing: dep})
				continue
			}
			err := g.AddEdge(vertex(j), vertex(i))
			if err != nil && !errors.Is(err, graph.ErrEdgeAlreadyExists) {
				return nil, nil, fmt.Errorf("build dag: edge %s -> %s: %w", dep, id, err)
			}
		}
	}
	if len(missing) > 0 {
		return nil, nil, errors.Join(missing...)
	}
	store.seal()
	return &DAG{ids: ids, index: index, parents: store.parents, children: store.children}, g, nil
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
