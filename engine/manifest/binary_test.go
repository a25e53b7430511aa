package manifest

import (
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// binaryValues are every kind of value the binary form keeps, including the empty and nil lists
// and maps it must keep apart.
var binaryValues = []any{nil, "s", "", true, false, 42, -1, int64(-7), uint64(1 << 63), 2.5, -0.0, 1e21,
	[]any{"a", 1, nil, []any{}}, []any{}, []any(nil), []string{"x", ""}, []string{}, []string(nil),
	map[string]any{"b": 1, "a": []any{map[string]any{}}}, map[string]any{}, map[string]any(nil),
	map[string]string{"k": "v"}, map[string]string(nil), time.Date(2026, 12, 1, 17, 2, 0, 5, time.UTC)}

// addRandomNodes adds count nodes to m, the first a zero node, the others with every field set
// (fill).
func addRandomNodes(rng *rand.Rand, m *Manifest, count int) {
	for i := range count {
		n := &Node{}
		if i > 0 {
			fill(rng, reflect.ValueOf(n).Elem(), 0, binaryValues)
		}
		n.UniqueID = "model.p.n" + strconv.Itoa(i)
		m.Nodes[n.UniqueID] = n
	}
}

// Every field of every node, set by reflection (fill), comes back deeply equal; a field added
// to Node and not to the binary form fails here.
func TestBinaryRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for round := range 20 {
		m := New("p" + strconv.Itoa(round))
		m.Macros["m"], m.MacroChecksums["m"] = "macros/m.sql", "abc"
		if round == 1 {
			m.Macros, m.MacroChecksums = nil, nil
		}
		addRandomNodes(rng, m, 300*round) // the first round is an empty manifest
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		got, err := UnmarshalBinary(b)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if got.Project != m.Project || !reflect.DeepEqual(got.Macros, m.Macros) || !reflect.DeepEqual(got.MacroChecksums, m.MacroChecksums) {
			t.Fatalf("round %d: project or macros differ", round)
		}
		if len(got.Nodes) != len(m.Nodes) {
			t.Fatalf("round %d: %d nodes back, want %d", round, len(got.Nodes), len(m.Nodes))
		}
		for id, want := range m.Nodes {
			if !reflect.DeepEqual(got.Nodes[id], want) {
				t.Fatalf("round %d: node %s differs:\n got %#v\nwant %#v", round, id, got.Nodes[id], want)
			}
		}
	}
}

// A value the binary form has no tag for is an error, not a silently different manifest.
func TestBinaryRefusesUnknownValues(t *testing.T) {
	m := New("p")
	m.Nodes["model.p.a"] = &Node{UniqueID: "model.p.a", Meta: map[string]any{"x": []any{uint8(3)}}}
	if _, err := m.MarshalBinary(); err == nil || !strings.Contains(err.Error(), "uint8") {
		t.Fatalf("err = %v, want one naming uint8", err)
	}
}

// Every truncation of a valid binary manifest, and a corrupted length, is an error (never a
// panic or a shorter manifest).
func TestBinaryTruncated(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	m := New("p")
	addRandomNodes(rng, m, 40)
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < len(b); k++ {
		if _, err := UnmarshalBinary(b[:k]); err == nil {
			t.Fatalf("a binary manifest cut to %d of %d bytes decoded without an error", k, len(b))
		}
	}
	if _, err := UnmarshalBinary(append(append([]byte{}, b...), 0)); err == nil {
		t.Fatal("trailing bytes decoded without an error")
	}
}
