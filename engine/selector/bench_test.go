package selector

import (
	"fmt"
	"testing"

	"github.com/dwmhq/dwm/engine/dag"
	"github.com/dwmhq/dwm/engine/manifest"
)

// BenchmarkSelect10k selects with every kind of operator on a 10,000-model project with a
// test per model.
func BenchmarkSelect10k(b *testing.B) {
	m := manifest.New("p")
	id := func(i int) string { return fmt.Sprintf("model.p.m%05d", i) }
	for i := range 10_000 {
		var deps []string
		for _, back := range []int{1, 7, 131} {
			if i-back >= 0 {
				deps = append(deps, id(i-back))
			}
		}
		m.Nodes[id(i)] = &manifest.Node{
			UniqueID: id(i), Name: fmt.Sprintf("m%05d", i), ResourceType: manifest.Model,
			Path: fmt.Sprintf("models/f%d/m%05d.sql", i%10, i), FQN: []string{"p", fmt.Sprintf("f%d", i%10), fmt.Sprintf("m%05d", i)},
			Config: manifest.Config{Materialized: "view", Tags: []string{fmt.Sprintf("t%d", i%100)}}, DependsOn: deps,
		}
		tid := fmt.Sprintf("test.p.t%05d", i)
		m.Nodes[tid] = &manifest.Node{UniqueID: tid, Name: tid, ResourceType: manifest.Test, DependsOn: []string{id(i)}}
	}
	d, err := dag.Build(m)
	if err != nil {
		b.Fatal(err)
	}
	sel, err := Parse([]string{"tag:t1+3 +m05000", "@m09990 f3,config.materialized:view"}, []string{"path:models/f4"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ids, _ := sel.Select(d, m, Options{}); len(ids) == 0 {
			b.Fatal("nothing selected")
		}
	}
}
