package dag

import (
	"errors"
	"slices"

	"github.com/dominikbraun/graph"
)

// errImmutable is returned by store operations a built DAG never needs.
var errImmutable = errors.New("dag: the graph store is append-only")

// indexStore is a graph.Store that keeps vertices as dense ints and edges as adjacency slices.
// The library's default store keeps a map per vertex and a map of attributes per edge, which
// made building a 10,000-node project cost ~65 ms, most of it allocation; this store keeps the
// library's API and checks while building and leaves a snapshot the queries can use directly.
type indexStore struct {
	ids      []string
	index    map[string]int
	parents  [][]int
	children [][]int
	edges    map[uint64]struct{} // source<<32 | target, for the library's duplicate-edge check
}

var _ graph.Store[string, string] = (*indexStore)(nil)

func newIndexStore(capacity int) *indexStore {
	return &indexStore{
		ids:   make([]string, 0, capacity),
		index: make(map[string]int, capacity),
		edges: make(map[uint64]struct{}, capacity*3),
	}
}

func edgeKey(source, target int) uint64 { return uint64(source)<<32 | uint64(uint32(target)) }

func (s *indexStore) AddVertex(hash string, _ string, _ graph.VertexProperties) error {
	if _, ok := s.index[hash]; ok {
		return graph.ErrVertexAlreadyExists
	}
	s.index[hash] = len(s.ids)
	s.ids = append(s.ids, hash)
	s.parents = append(s.parents, nil)
	s.children = append(s.children, nil)
	return nil
}

func (s *indexStore) Vertex(hash string) (string, graph.VertexProperties, error) {
	if _, ok := s.index[hash]; !ok {
		return "", graph.VertexProperties{}, graph.ErrVertexNotFound
	}
	return hash, graph.VertexProperties{}, nil
}

func (s *indexStore) RemoveVertex(string) error { return errImmutable }

func (s *indexStore) ListVertices() ([]string, error) { return slices.Clone(s.ids), nil }

func (s *indexStore) VertexCount() (int, error) { return len(s.ids), nil }

// AddEdge records the edge; the library has already checked that both vertices exist and
// that the edge is new. Edge properties are dropped: dwm's edges carry no data.
func (s *indexStore) AddEdge(source, target string, _ graph.Edge[string]) error {
	i, j := s.index[source], s.index[target]
	s.edges[edgeKey(i, j)] = struct{}{}
	s.children[i] = append(s.children[i], j)
	s.parents[j] = append(s.parents[j], i)
	return nil
}

func (s *indexStore) UpdateEdge(string, string, graph.Edge[string]) error { return errImmutable }

func (s *indexStore) RemoveEdge(string, string) error { return errImmutable }

func (s *indexStore) Edge(source, target string) (graph.Edge[string], error) {
	i, ok1 := s.index[source]
	j, ok2 := s.index[target]
	if !ok1 || !ok2 {
		return graph.Edge[string]{}, graph.ErrEdgeNotFound
	}
	if _, ok := s.edges[edgeKey(i, j)]; !ok {
		return graph.Edge[string]{}, graph.ErrEdgeNotFound
	}
	return graph.Edge[string]{Source: source, Target: target}, nil
}

func (s *indexStore) ListEdges() ([]graph.Edge[string], error) {
	out := make([]graph.Edge[string], 0, len(s.edges))
	for i, targets := range s.children {
		for _, j := range targets {
			out = append(out, graph.Edge[string]{Source: s.ids[i], Target: s.ids[j]})
		}
	}
	return out, nil
}

// seal sorts the adjacency lists so queries return IDs in order without sorting again.
func (s *indexStore) seal() {
	for i := range s.ids {
		slices.Sort(s.parents[i])
		slices.Sort(s.children[i])
	}
}
