package dag

import (
	"container/heap"
	"errors"
	"fmt"
	"slices"

	"github.com/dominikbraun/graph"
)

// findCycle runs the library's StronglyConnectedComponents over the whole graph, after Kahn's
// algorithm has left nodes over: a component of more than one node, or a node that depends on
// itself, is a cycle. The error names a cycle through the smallest ID on any cycle, so the
// message is the same on every run.
func (d *DAG) findCycle(g graph.Graph[int, int]) error {
	components, err := graph.StronglyConnectedComponents(g)
	if err != nil {
		return fmt.Errorf("build dag: find cycles: %w", err)
	}
	start, cycle := -1, []int(nil)
	for _, c := range components {
		for k := range c {
			c[k]-- // keys to indexes
		}
		if len(c) == 1 && !slices.Contains(d.parents[c[0]], c[0]) {
			continue
		}
		slices.Sort(c)
		if start < 0 || c[0] < start {
			start, cycle = c[0], c
		}
	}
	if start < 0 {
		return errors.New("build dag: nodes left out of the dependency order, but no cycle found")
	}
	return d.cycleThrough(start, cycle)
}

// cycleThrough walks upward from start through parents in the same strongly connected
// component (sorted indexes; every member has a parent among them), so the walk must repeat a
// node, and the stretch between the two visits is a cycle.
func (d *DAG) cycleThrough(start int, component []int) *CycleError {
	seenAt := map[int]int{}
	var walk []int
	for cur := start; ; {
		if at, ok := seenAt[cur]; ok {
			walk = walk[at:]
			break
		}
		seenAt[cur] = len(walk)
		walk = append(walk, cur)
		for _, p := range d.parents[cur] {
			if _, in := slices.BinarySearch(component, p); in {
				cur = p
				break
			}
		}
	}
	// The walk follows edges backwards; reverse it, then rotate so the smallest ID leads.
	slices.Reverse(walk)
	lead := slices.Index(walk, slices.Min(walk))
	walk = append(walk[lead:], walk[:lead]...)
	path := d.names(append(walk, walk[0]))
	return &CycleError{Path: path}
}

// sortTopologically fills d.topo with Kahn's algorithm, always taking the smallest ready ID so
// the order is the same on every run. Nodes on or behind a cycle are left out.
func (d *DAG) sortTopologically() {
	n := len(d.ids)
	pending := make([]int, n) // parents not yet emitted
	ready := &intHeap{}
	for i := range n {
		pending[i] = len(d.parents[i])
		if pending[i] == 0 {
			*ready = append(*ready, i)
		}
	}
	heap.Init(ready)
	order := make([]int, 0, n)
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		order = append(order, i)
		for _, c := range d.children[i] {
			pending[c]--
			if pending[c] == 0 {
				heap.Push(ready, c)
			}
		}
	}
	d.topo = order
}

// TopoOrder returns every ID in dependency order: a node comes after all its dependencies, and
// among nodes free to go next the smallest ID goes first.
func (d *DAG) TopoOrder() []string { return d.names(d.topo) }

// intHeap is a min-heap of node indexes, which orders by ID because IDs are sorted.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(a, b int) bool { return h[a] < h[b] }
func (h intHeap) Swap(a, b int)      { h[a], h[b] = h[b], h[a] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
