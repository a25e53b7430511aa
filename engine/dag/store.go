package dag

import (
	"errors"
	"slices"

	"github.com/dominikbraun/graph"
)

// errImmutable is returned by store operations a built DAG never needs.
var errImmutable = errors.New("dag: the graph store is append-only")

// indexStore is a graph.Store whose vertices are the dense indexes of the sorted node IDs, plus
// one (see vertex), and whose edges are adjacency slices of the indexes, sized up front. The
// library's default store keeps two maps per vertex and one per edge, and string keys would hash
// every ID on every check; this store keeps the library's API and checks while building and
// leaves a snapshot the queries read directly.
type indexStore struct {
	parents  [][]int
	children [][]int
	edges    int
}

var _ graph.Store[int, int] = (*indexStore)(nil)

func newIndexStore(vertices int) *indexStore {
	return &indexStore{parents: make([][]int, 0, vertices), children: make([][]int, 0, vertices)}
}

// vertex is the library's key of index i. Keys start at 1: the library's
// StronglyConnectedComponents (v0.23.0) pops its stack until it meets the root's key, starting
// from the zero key, so a root keyed 0 (or "") yields an empty component and leaves the stack
// dirty.
func vertex(i int) int { return i + 1 }

func (s *indexStore) has(k int) bool { return k >= 1 && k <= len(s.parents) }

// AddVertex takes the keys in order, so key k is index k-1 of the slices.
func (s *indexStore) AddVertex(k int, _ int, _ graph.VertexProperties) error {
	switch {
	case s.has(k):
		return graph.ErrVertexAlreadyExists
	case k != vertex(len(s.parents)):
		return errors.New("dag: vertices must be added in index order")
	}
	s.parents = append(s.parents, nil)
	s.children = append(s.children, nil)
	return nil
}

func (s *indexStore) Vertex(k int) (int, graph.VertexProperties, error) {
	if !s.has(k) {
		return 0, graph.VertexProperties{}, graph.ErrVertexNotFound
	}
	return k, graph.VertexProperties{}, nil
}

func (s *indexStore) RemoveVertex(int) error { return errImmutable }

func (s *indexStore) ListVertices() ([]int, error) {
	out := make([]int, len(s.parents))
	for i := range out {
		out[i] = vertex(i)
	}
	return out, nil
}

func (s *indexStore) VertexCount() (int, error) { return len(s.parents), nil }

// AddEdge records the edge; the library has already checked that both vertices exist and
// that the edge is new. Edge properties are dropped: dwm's edges carry no data.
func (s *indexStore) AddEdge(source, target int, _ graph.Edge[int]) error {
	s.children[source-1] = append(s.children[source-1], target-1)
	s.parents[target-1] = append(s.parents[target-1], source-1)
	s.edges++
	return nil
}

func (s *indexStore) UpdateEdge(int, int, graph.Edge[int]) error { return errImmutable }

func (s *indexStore) RemoveEdge(int, int) error { return errImmutable }

// Edge looks the source up among the target's parents: Build adds a node's edges together, and a
// node has few dependencies, while a popular model can have thousands of dependents.
func (s *indexStore) Edge(source, target int) (graph.Edge[int], error) {
	if !s.has(source) || !s.has(target) || !slices.Contains(s.parents[target-1], source-1) {
		return graph.Edge[int]{}, graph.ErrEdgeNotFound
	}
	return graph.Edge[int]{Source: source, Target: target}, nil
}

func (s *indexStore) ListEdges() ([]graph.Edge[int], error) {
	out := make([]graph.Edge[int], 0, s.edges)
	for i, targets := range s.children {
		for _, j := range targets {
			out = append(out, graph.Edge[int]{Source: vertex(i), Target: vertex(j)})
		}
	}
	return out, nil
}

// seal sorts the adjacency lists so queries return IDs in order without sorting again.
func (s *indexStore) seal() {
	for i := range s.parents {
		slices.Sort(s.parents[i])
		slices.Sort(s.children[i])
	}
}
