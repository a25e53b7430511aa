package state

import (
	"testing"

	"github.com/dwmhq/dwm/engine/artifacts"
	"github.com/dwmhq/dwm/engine/manifest"
)

func shop() *manifest.Manifest {
	m := manifest.New("p")
	m.MacroChecksums["cents"] = "c1"
	add := func(name, sum string, macros ...string) *manifest.Node {
		n := &manifest.Node{UniqueID: "model.p." + name, Name: name, ResourceType: manifest.Model, Checksum: sum,
			Config:   manifest.Config{Enabled: true, Materialized: "table", Raw: map[string]any{"materialized": "table"}},
			Database: "prod", Alias: name, DependsOnMacros: macros}
		m.Nodes[n.UniqueID] = n
		return n
	}
	add("a", "s1")
	add("b", "s2", "cents")
	c := add("c", "s3")
	c.Columns = []manifest.Column{{Name: "x", DataType: "UInt8"}}
	return m
}

func TestMatch(t *testing.T) {
	dir := t.TempDir()
	if err := artifacts.Dir(dir).WriteManifest(shop(), "0", "inv", "prod"); err != nil {
		t.Fatal(err)
	}
	st, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	cur := shop()
	// The same project, built for another target: nothing is modified.
	for _, n := range cur.Nodes {
		n.Database = "ci"
		if st.Match(cur, n, "modified") || !st.Match(cur, n, "old") {
			t.Errorf("%s: unchanged node reported modified or new", n.Name)
		}
	}
	cur.Nodes["model.p.a"].Checksum = "s1b"
	cur.MacroChecksums["cents"] = "c2"
	cur.Nodes["model.p.c"].Config.Raw["contract"] = map[string]any{"enforced": true}
	cur.Nodes["model.p.d"] = &manifest.Node{UniqueID: "model.p.d", Name: "d", ResourceType: manifest.Model}
	for _, c := range []struct {
		node, value string
		want        bool
	}{
		{"a", "modified.body", true}, {"a", "modified.macros", false}, {"a", "modified.configs", false},
		{"b", "modified.macros", true}, {"b", "modified.body", false},
		{"c", "modified.contract", true}, {"c", "modified.configs", false}, {"c", "modified", true},
		{"d", "new", true}, {"d", "modified", true}, {"d", "modified.body", false}, {"d", "old", false},
	} {
		if got := st.Match(cur, cur.Nodes["model.p."+c.node], c.value); got != c.want {
			t.Errorf("state:%s on %s = %v, want %v", c.value, c.node, got, c.want)
		}
	}
	if db, alias, ok := st.Relation("model.p.b"); !ok || db != "prod" || alias != "b" {
		t.Errorf("Relation(b) = %s.%s %v", db, alias, ok)
	}
	if _, _, ok := st.Relation("model.p.d"); ok {
		t.Error("a node the state does not know has a relation")
	}
	if st.HasResults {
		t.Error("results without run_results.json")
	}
}
