package manifest

import (
	"slices"
	"testing"
)

// SortedIDs is cached between calls; the cache must follow added nodes and must not be
// reachable through a returned slice.
func TestSortedIDsFollowsAddedNodes(t *testing.T) {
	m := New("p")
	m.Nodes["model.p.b"] = &Node{}
	m.Nodes["model.p.a"] = &Node{}
	got := m.SortedIDs()
	if want := []string{"model.p.a", "model.p.b"}; !slices.Equal(got, want) {
		t.Fatalf("SortedIDs = %v, want %v", got, want)
	}
	got[0] = "changed by the caller"
	if again := m.SortedIDs(); again[0] != "model.p.a" {
		t.Fatalf("a caller's change reached the cache: %v", again)
	}
	m.Nodes["model.p.0"] = &Node{}
	if got, want := m.SortedIDs(), []string{"model.p.0", "model.p.a", "model.p.b"}; !slices.Equal(got, want) {
		t.Fatalf("after adding a node SortedIDs = %v, want %v", got, want)
	}
}
