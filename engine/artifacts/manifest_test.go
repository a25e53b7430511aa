package artifacts

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
)

// referenceManifest is manifest.json as one json.Marshal of the whole document, the way it was
// written before the nodes were encoded in parallel; child lists sorted.
func referenceManifest(m *manifest.Manifest, meta metadata) []byte {
	doc := struct {
		Metadata  metadata                  `json:"metadata"`
		Nodes     map[string]*manifest.Node `json:"nodes"`
		Sources   map[string]*manifest.Node `json:"sources"`
		Macros    map[string]string         `json:"macros"`
		ParentMap map[string][]string       `json:"parent_map"`
		ChildMap  map[string][]string       `json:"child_map"`
	}{Metadata: meta, Nodes: map[string]*manifest.Node{}, Sources: map[string]*manifest.Node{}, Macros: m.Macros,
		ParentMap: map[string][]string{}, ChildMap: map[string][]string{}}
	for id, n := range m.Nodes {
		if n.ResourceType == manifest.Source {
			doc.Sources[id] = n
		} else {
			doc.Nodes[id] = n
		}
		doc.ParentMap[id] = append([]string{}, n.DependsOn...)
		if _, ok := doc.ChildMap[id]; !ok {
			doc.ChildMap[id] = []string{}
		}
		for _, p := range n.DependsOn {
			doc.ChildMap[p] = append(doc.ChildMap[p], id)
		}
	}
	for _, c := range doc.ChildMap {
		sort.Strings(c)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return append(data, '\n')
}

func TestManifestEqualsOneMarshal(t *testing.T) {
	m := manifest.New("p")
	add := func(n *manifest.Node) { m.Nodes[n.UniqueID] = n }
	add(&manifest.Node{UniqueID: "source.p.raw.events", Name: "events", ResourceType: manifest.Source, Path: "models/src.yml",
		FQN: []string{"p", "raw", "events"}, Database: "raw", Alias: "events", Source: &manifest.SourceInfo{SourceName: "raw", Identifier: "events"}})
	add(&manifest.Node{UniqueID: "seed.p.tiers", Name: "tiers", ResourceType: manifest.Seed, Path: "seeds/tiers.csv", Config: manifest.Config{Enabled: true, Materialized: "seed"}})
	for i, name := range []string{"a", "b", "c_<&>", "d\u00e9", "e"} {
		n := &manifest.Node{UniqueID: "model.p." + name, Name: name, ResourceType: manifest.Model, Path: "models/" + name + ".sql",
			RawCode: "select 1 as x -- <b> & \"q\"\n\twhere \u2028 é", Checksum: "abc",
			Config: manifest.Config{Enabled: true, Materialized: "table", Tags: []string{"t"}, Raw: map[string]any{"z": 1, "a": []any{"x", 2.5}}},
			Meta:   map[string]any{"owner": "me"}, DependsOn: []string{}}
		if i > 0 {
			n.DependsOn = []string{"model.p.a", "seed.p.tiers", "source.p.raw.events"}
		}
		add(n)
	}
	add(&manifest.Node{UniqueID: "test.p.not_null_a_x", Name: "not_null_a_x", ResourceType: manifest.Test, Path: "models/a.yml",
		DependsOn: []string{"model.p.a"}, Test: &manifest.TestInfo{Name: "not_null", ColumnName: "x", AttachedTo: "model.p.a", Kwargs: map[string]any{"k": true}}})
	m.Macros["cents"] = "macros/util.sql"
	meta := metadata{"0.1.0", time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC), "inv", "dev"}
	var got bytes.Buffer
	if err := encodeManifest(&got, m, meta); err != nil {
		t.Fatal(err)
	}
	if want := referenceManifest(m, meta); !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("manifest differs from one json.Marshal:\n got %s\nwant %s", got.Bytes(), want)
	}
	// Many nodes take the parallel path; the document must still be exactly the same.
	for i := range 2000 {
		name := "m" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
		add(&manifest.Node{UniqueID: "model.p." + name, Name: name, ResourceType: manifest.Model, DependsOn: []string{"model.p.a"}})
	}
	got.Reset()
	if err := encodeManifest(&got, m, meta); err != nil {
		t.Fatal(err)
	}
	if want := referenceManifest(m, meta); !bytes.Equal(got.Bytes(), want) {
		t.Fatal("manifest of 2,000 nodes differs from one json.Marshal")
	}
	dir := Dir(t.TempDir())
	if err := dir.WriteManifest(m, "0.1.0", "inv", "dev"); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	data, err := os.ReadFile(filepath.Join(string(dir), "manifest.json"))
	if err != nil || json.Unmarshal(data, &doc) != nil || len(doc) != 6 {
		t.Fatalf("manifest.json is not the 6-key document: %v %v", err, len(doc))
	}
}
