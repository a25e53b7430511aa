package dag

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dominikbraun/graph"

	"github.com/dwmhq/dwm/engine/manifest"
)

// project builds a manifest from "id: dep dep" lines.
func project(t testing.TB, lines ...string) *manifest.Manifest {
	t.Helper()
	m := manifest.New("p")
	for _, l := range lines {
		id, deps, _ := strings.Cut(l, ":")
		id = strings.TrimSpace(id)
		m.Nodes[id] = &manifest.Node{UniqueID: id, DependsOn: strings.Fields(deps)}
	}
	return m
}

// diamond: seed -> stg_a, stg_b -> int -> mart_1, mart_2; a test on int; an unrelated model.
func diamond(t *testing.T) *DAG {
	t.Helper()
	d, err := Build(project(t,
		"seed.p.seed:",
		"model.p.stg_a: seed.p.seed",
		"model.p.stg_b: seed.p.seed",
		"model.p.int: model.p.stg_a model.p.stg_b",
		"model.p.mart_1: model.p.int",
		"model.p.mart_2: model.p.int",
		"test.p.not_null_int: model.p.int",
		"model.p.lonely:",
	))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestNeighbours(t *testing.T) {
	d := diamond(t)
	dup, err := Build(project(t, "model.p.a:", "model.p.b: model.p.a model.p.a"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"parents", d.Parents("model.p.int"), []string{"model.p.stg_a", "model.p.stg_b"}},
		{"children", d.Children("model.p.int"), []string{"model.p.mart_1", "model.p.mart_2", "test.p.not_null_int"}},
		{"no parents", d.Parents("seed.p.seed"), []string{}},
		{"unknown", d.Children("model.p.nope"), nil},
		{"ancestors all", d.Ancestors("model.p.mart_1", -1), []string{"model.p.int", "model.p.stg_a", "model.p.stg_b", "seed.p.seed"}},
		{"ancestors 1", d.Ancestors("model.p.mart_1", 1), []string{"model.p.int"}},
		{"ancestors 2", d.Ancestors("model.p.mart_1", 2), []string{"model.p.int", "model.p.stg_a", "model.p.stg_b"}},
		{"ancestors 0", d.Ancestors("model.p.mart_1", 0), nil},
		{"descendants all", d.Descendants("model.p.stg_a", -1), []string{"model.p.int", "model.p.mart_1", "model.p.mart_2", "test.p.not_null_int"}},
		{"descendants 1", d.Descendants("model.p.stg_a", 1), []string{"model.p.int"}},
		{"set ancestors", d.AncestorsOfSet([]string{"model.p.stg_a", "model.p.int"}, 1), []string{"model.p.stg_b", "seed.p.seed"}},
		{"set descendants", d.DescendantsOfSet([]string{"model.p.mart_1", "model.p.mart_2"}, -1), nil},
		{"repeated dependency is one edge", dup.Parents("model.p.b"), []string{"model.p.a"}},
		{"repeated dependency, one child", dup.Children("model.p.a"), []string{"model.p.b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !slices.Equal(tt.got, tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestTopoOrderIsDeterministic(t *testing.T) {
	want := []string{
		"model.p.lonely", "seed.p.seed", "model.p.stg_a", "model.p.stg_b", "model.p.int",
		"model.p.mart_1", "model.p.mart_2", "test.p.not_null_int",
	}
	for range 20 { // map iteration order differs between builds
		if got := diamond(t).TopoOrder(); !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestOrderAndPlan(t *testing.T) {
	d := diamond(t)
	sel := []string{"model.p.mart_2", "seed.p.seed", "model.p.int", "model.p.mart_1", "model.p.int", "model.p.nope"}
	if got, want := d.Order(sel), []string{"seed.p.seed", "model.p.int", "model.p.mart_1", "model.p.mart_2"}; !slices.Equal(got, want) {
		t.Errorf("Order = %v, want %v", got, want)
	}
	if _, err := d.Plan(sel); err == nil || !strings.Contains(err.Error(), "model.p.nope") {
		t.Errorf("Plan with unknown id: err = %v", err)
	}

	p, err := d.Plan(sel[:4])
	if err != nil {
		t.Fatal(err)
	}
	// int waits for seed through the unselected stg_a and stg_b.
	wantUp := map[string][]string{
		"seed.p.seed":    nil,
		"model.p.int":    {"seed.p.seed"},
		"model.p.mart_1": {"model.p.int"},
		"model.p.mart_2": {"model.p.int"},
	}
	for id, want := range wantUp {
		if got := p.Upstream[id]; !slices.Equal(got, want) {
			t.Errorf("Upstream[%s] = %v, want %v", id, got, want)
		}
	}
	if got, want := p.Downstream["model.p.int"], []string{"model.p.mart_1", "model.p.mart_2"}; !slices.Equal(got, want) {
		t.Errorf("Downstream[int] = %v, want %v", got, want)
	}
	if got, want := p.Blocked("seed.p.seed"), []string{"model.p.int", "model.p.mart_1", "model.p.mart_2"}; !slices.Equal(got, want) {
		t.Errorf("Blocked(seed) = %v, want %v", got, want)
	}
	if got := p.Blocked("model.p.mart_1"); len(got) != 0 {
		t.Errorf("Blocked(mart_1) = %v, want none", got)
	}
}

func TestCycle(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"two", []string{"model.p.a: model.p.b", "model.p.b: model.p.a"}, "cycle: model.p.a -> model.p.b -> model.p.a"},
		{"self", []string{"model.p.a: model.p.a"}, "cycle: model.p.a -> model.p.a"},
		{
			// x feeds the cycle but is not on it; the path follows the edges c -> a -> b -> c.
			"behind",
			[]string{"model.p.x:", "model.p.a: model.p.c", "model.p.b: model.p.a model.p.x", "model.p.c: model.p.b", "model.p.d: model.p.c"},
			"cycle: model.p.a -> model.p.b -> model.p.c -> model.p.a",
		},
		{
			// Two cycles, the one downstream holding the smallest ID: it is the one named,
			// and its walk does not wander into the other.
			"two cycles",
			[]string{"model.p.x: model.p.y", "model.p.y: model.p.x", "model.p.a: model.p.b model.p.x", "model.p.b: model.p.a"},
			"cycle: model.p.a -> model.p.b -> model.p.a",
		},
		{
			// A longer way round exists (a -> c -> d -> a); the walk takes the smallest parent.
			"chords",
			[]string{"model.p.a: model.p.b model.p.d", "model.p.b: model.p.a", "model.p.c: model.p.a", "model.p.d: model.p.c"},
			"cycle: model.p.a -> model.p.b -> model.p.a",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(project(t, tt.lines...))
			var ce *CycleError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *CycleError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("err = %q, want %q", err, tt.want)
			}
		})
	}
}

func TestMissingDependency(t *testing.T) {
	_, err := Build(project(t, "model.p.a: model.p.gone", "model.p.b: model.p.a"))
	var me *MissingDependencyError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want *MissingDependencyError", err)
	}
	if want := "model.p.a depends on model.p.gone, which is not in the manifest"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
}

// layered builds n nodes in which each depends on up to three earlier ones.
func layered(tb testing.TB, n int) *manifest.Manifest {
	m := manifest.New("p")
	id := func(i int) string { return fmt.Sprintf("model.p.m%05d", i) }
	for i := range n {
		var deps []string
		for _, back := range []int{1, 7, 131} {
			if i-back >= 0 {
				deps = append(deps, id(i-back))
			}
		}
		m.Nodes[id(i)] = &manifest.Node{UniqueID: id(i), DependsOn: deps}
	}
	return m
}

func TestBuildLarge(t *testing.T) {
	d, err := Build(layered(t, 10_000))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.TopoOrder(); got[0] != "model.p.m00000" || got[len(got)-1] != "model.p.m09999" {
		t.Errorf("topo order ends: %s ... %s", got[0], got[len(got)-1])
	}
	if _, err := d.Plan(d.IDs()); err != nil {
		t.Fatal(err)
	}
}

// withTests has the shape of the compile benchmark's project: 10,000 models and three tests on
// each, 40,000 nodes.
func withTests(tb testing.TB) *manifest.Manifest {
	m := layered(tb, 10_000)
	for i := range 10_000 {
		model := fmt.Sprintf("model.p.m%05d", i)
		for _, test := range []string{"not_null_id", "unique_id", "not_null_amount"} {
			id := fmt.Sprintf("test.p.%s_m%05d", test, i)
			m.Nodes[id] = &manifest.Node{UniqueID: id, DependsOn: []string{model}}
		}
	}
	return m
}

func BenchmarkBuild10kWithTests(b *testing.B) {
	m := withTests(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCycleCheckSCC10kWithTests times what the library's StronglyConnectedComponents would
// add to every Build as its acyclicity check (Build runs it only when Kahn's pass leaves nodes).
func BenchmarkCycleCheckSCC10kWithTests(b *testing.B) {
	_, g, err := newGraph(withTests(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := graph.StronglyConnectedComponents(g); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuild10k(b *testing.B) {
	m := layered(b, 10_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(m); err != nil {
			b.Fatal(err)
		}
	}
}
