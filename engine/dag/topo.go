package dag

import (
	"container/heap"
	"slices"
)

// sortTopologically fills d.topo with Kahn's algorithm, always taking the smallest ready ID so
// the order is the same on every run. Nodes left over sit on or behind a cycle.
func (d *DAG) sortTopologically() error {
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
	if len(order) < n {
		return d.findCycle(pending)
	}
	d.topo = order
	return nil
}

// findCycle walks upward from the smallest unemitted node. Every unemitted node has an
// unemitted parent (else Kahn's algorithm would have emitted it), so the walk must repeat a
// node, and the stretch between the two visits is a cycle.
func (d *DAG) findCycle(pending []int) *CycleError {
	start := -1
	for i, p := range pending {
		if p > 0 {
			start = i
			break
		}
	}
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
			if pending[p] > 0 {
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
