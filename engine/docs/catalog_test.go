package docs

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/warehouse"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestBuildCatalogGolden pins the whole catalog.json for a fake warehouse: nodes and sources apart,
// columns with types, positions and comments, stats only where ClickHouse knows them, and no
// entries for ephemeral or unbuilt models or for tables the manifest does not name.
func TestBuildCatalogGolden(t *testing.T) {
	cat, err := BuildCatalog(testManifest(), testMeta, fakeTables(), fakeColumns())
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(cat, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "catalog.golden.json")
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(got)+"\n" {
		t.Errorf("catalog differs from %s (go test -update rewrites it):\n%s", golden, got)
	}
}

func TestBuildCatalogShape(t *testing.T) {
	cat, err := BuildCatalog(testManifest(), testMeta, fakeTables(), fakeColumns())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range cat.Nodes {
		keys = append(keys, k)
	}
	if len(cat.Nodes) != 3 || cat.Nodes["model.shop.helper"] != nil || cat.Nodes["model.shop.later"] != nil {
		t.Errorf("nodes = %v, want orders, daily and countries only", keys)
	}
	o := cat.Nodes["model.shop.orders"]
	if o.Metadata.Type != "table" || o.Columns["country"].Type != "LowCardinality(String)" || o.Columns["ordered_at"].Index != 3 {
		t.Errorf("orders = %+v", o)
	}
	if c := o.Columns["country"].Comment; c == nil || *c != "ISO name" {
		t.Errorf("country comment = %v", c)
	}
	if o.Columns["order_id"].Comment != nil {
		t.Error("an empty comment must be null")
	}
	if o.Stats["num_rows"].Value != uint64(3) || o.Stats["num_bytes"].Value != uint64(1024) || o.Stats["has_stats"].Value != true {
		t.Errorf("orders stats = %+v", o.Stats)
	}
	d := cat.Nodes["model.shop.daily"]
	if _, ok := d.Stats["num_rows"]; d.Metadata.Type != "view" || ok || d.Stats["has_stats"].Value != false {
		t.Errorf("a view has no row count: %+v", d)
	}
	s := cat.Sources["source.shop.app.orders"]
	if s == nil || s.Metadata.Schema != "app" || s.Metadata.Name != "orders_v2" || len(s.Columns) != 1 {
		t.Errorf("source = %+v", s)
	}
}

func TestReadCatalogQueriesOnlyTheProjectsDatabases(t *testing.T) {
	wh := &fakeWarehouse{}
	cat, err := ReadCatalog(context.Background(), wh, testManifest(), testMeta)
	if err != nil {
		t.Fatal(err)
	}
	if len(wh.queries) != 2 {
		t.Fatalf("queries = %q, want one on system.tables and one on system.columns", wh.queries)
	}
	for _, q := range wh.queries {
		if !strings.Contains(q, "WHERE database IN ('app', 'shop')") {
			t.Errorf("query %q does not filter on the project's databases", q)
		}
	}
	if len(cat.Nodes)+len(cat.Sources) != 4 {
		t.Errorf("catalog has %d nodes and %d sources", len(cat.Nodes), len(cat.Sources))
	}
}

func TestBuildCatalogRejectsUnexpectedColumns(t *testing.T) {
	bad := &warehouse.Result{Columns: cols("database", "name"), Rows: [][]any{{"shop", "orders"}}}
	if _, err := BuildCatalog(testManifest(), testMeta, bad, fakeColumns()); err == nil || !strings.Contains(err.Error(), `no column "engine"`) {
		t.Errorf("err = %v", err)
	}
}
