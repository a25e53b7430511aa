package docs

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
)

// embedded returns the text of the <script type="application/json" id=ID> element.
func embedded(t *testing.T, page, id string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<script type="application/json" id="` + id + `">(.*?)</script>`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s script in the page", id)
	}
	return m[1]
}

func TestSiteEmbedsManifestAndCatalog(t *testing.T) {
	m := testManifest()
	cat, err := BuildCatalog(m, testMeta, fakeTables(), fakeColumns())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Site(m, cat, SiteOptions{Version: "0.1.0", GeneratedAt: testMeta.GeneratedAt, CompiledDir: "compiled/shop"})
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{"<title>shop · dwm docs</title>", `id="search"`, "function lineage(", "--accent:"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Self-contained: nothing is fetched, so it works from file:// and offline.
	for _, bad := range []string{"<link", " src=", "http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(page, "http://www.w3.org/2000/svg", ""), bad) {
			t.Errorf("page refers to an external resource (%q)", bad)
		}
	}
	// Descriptions are data, never markup: the <b> in one must not reach the page as a tag.
	if strings.Contains(page, "<b>country</b>") {
		t.Error("a description was embedded unescaped")
	}

	var man struct {
		Metadata map[string]any            `json:"metadata"`
		Nodes    map[string]*manifest.Node `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(embedded(t, page, "dwm-manifest")), &man); err != nil {
		t.Fatalf("embedded manifest: %v", err)
	}
	if man.Metadata["project"] != "shop" || man.Metadata["compiled_dir"] != "compiled/shop" {
		t.Errorf("manifest metadata = %v", man.Metadata)
	}
	orders := man.Nodes["model.shop.orders"]
	if orders == nil || orders.Description != "One row per order, with the <b>country</b> name." ||
		orders.Columns[0].Name != "order_id" || orders.Columns[0].Description != "The order's key." || orders.Config.OrderBy != "order_id" {
		t.Errorf("orders = %+v", orders)
	}
	for _, id := range []string{"seed.shop.countries", "source.shop.app.orders", "model.shop.daily", "test.shop.unique_orders_order_id"} {
		if man.Nodes[id] == nil {
			t.Errorf("embedded manifest lacks %s", id)
		}
	}
	if man.Nodes["test.shop.unique_orders_order_id"].Test.ColumnName != "order_id" {
		t.Error("column tests must be embedded with their column")
	}

	var back Catalog
	if err := json.Unmarshal([]byte(embedded(t, page, "dwm-catalog")), &back); err != nil {
		t.Fatalf("embedded catalog: %v", err)
	}
	if back.Nodes["model.shop.orders"].Columns["country"].Type != "LowCardinality(String)" || back.Sources["source.shop.app.orders"] == nil {
		t.Errorf("embedded catalog = %+v", back)
	}
}

func TestSiteWithoutCatalog(t *testing.T) {
	b, err := Site(testManifest(), nil, SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(embedded(t, string(b), "dwm-catalog")); got != "null" {
		t.Errorf("catalog = %q, want null", got)
	}
}

// A description holding </script> must not end the data element early.
func TestSiteEscapesScriptEnd(t *testing.T) {
	m := testManifest()
	m.Nodes["model.shop.daily"].Description = "</script><script>alert(1)</script>"
	b, err := Site(m, nil, SiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var man struct{ Nodes map[string]*manifest.Node }
	if err := json.Unmarshal([]byte(embedded(t, string(b), "dwm-manifest")), &man); err != nil {
		t.Fatal(err)
	}
	if man.Nodes["model.shop.daily"].Description != "</script><script>alert(1)</script>" {
		t.Errorf("description = %q", man.Nodes["model.shop.daily"].Description)
	}
}
