package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dwmhq/dwm/internal/testtools"
	"github.com/dwmhq/dwm/internal/testtools/browser"
)

// TestDocsSiteInABrowser opens the page `dwm docs generate` writes in a real headless Chromium
// and uses it as a person would: the sidebar lists the nodes, typing in the search box filters
// them and Enter opens the first match, a node page shows its description (as text, never as
// markup), its columns with the warehouse's types and its tests, and its lineage graph, whose
// boxes are links to the neighbours' pages. The page's JavaScript must report no error.
func TestDocsSiteInABrowser(t *testing.T) {
	if os.Getenv("DWM_SKIP_CHDB") == "1" {
		t.Skip("DWM_SKIP_CHDB=1: skipping tests on the real embedded ClickHouse")
	}
	chromium := testtools.Path(t, testtools.Chromium)
	dir := t.TempDir()
	writeProject(t, dir, map[string]string{
		"project.yml":                   "name: shop\n",
		"seeds/orders.csv":              "order_id,country,amount\n1,fr,10\n2,de,20\n3,fr,5\n",
		"models/staging/stg_orders.sql": `select order_id, country, amount from {{ ref "orders" }}`,
		"models/marts/totals.sql": `{{ config "materialized" "table" "order_by" "country" }}
select country, count() as orders, sum(amount) as amount from {{ ref "stg_orders" }} group by country`,
		"models/marts/top_country.sql": `select country from {{ ref "totals" }} order by amount desc limit 1`,
		"models/marts/marts.yml": `version: 2
models:
  - name: totals
    description: "Orders per country. <img src=x onerror=\"document.title='pwned'\"> stays text."
    columns:
      - name: country
        description: ISO country code
        data_tests: [unique, not_null]
      - name: orders
        description: How many orders the country placed.
`,
	})
	for _, args := range [][]string{{"build"}, {"docs", "generate"}} {
		if code, out, errOut := runDWM(t, append(args, "--project-dir", dir, "--no-color")...); code != ExitOK {
			t.Fatalf("dwm %v: exit %d\n%s\n%s", args, code, out, errOut)
		}
	}
	page := "file://" + filepath.Join(dir, "target", "index.html")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	b := browser.Start(t, chromium)
	p, err := b.NewPage(ctx)
	if err != nil {
		t.Fatalf("new page: %v\n%s", err, b.Stderr())
	}
	if err := p.Navigate(ctx, page); err != nil {
		t.Fatalf("%v\n%s", err, b.Stderr())
	}
	eval := func(expr string) string {
		t.Helper()
		var s string
		if err := p.Eval(ctx, expr, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	waitFor := func(expr string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := p.WaitForJS(wctx, expr); err != nil {
			t.Fatalf("%v\npage: %s", err, eval(`document.getElementById("main").innerText`))
		}
	}
	// visible lists the sidebar's visible entries.
	visible := func() string {
		return eval(`[...document.querySelectorAll("#tree li")].filter(li => li.checkVisibility()).map(li => li.innerText).join(",")`)
	}

	// The overview: the script ran and rendered the project, its counts and the catalog.
	if got := eval(`document.querySelector("#main h1").innerText`); got != "shop" {
		t.Fatalf("overview h1 = %q", got)
	}
	if got := eval(`document.querySelector("#main").innerText`); !strings.Contains(got, "relations found in the warehouse") {
		t.Errorf("overview does not show the catalog:\n%s", got)
	}
	// Models and seeds are listed open, tests in a closed section.
	all := visible()
	if all != "top_country,totals,stg_orders,orders" {
		t.Errorf("sidebar shows %q, want the models by folder, then the seed", all)
	}
	if got := eval(`[...document.querySelectorAll("#tree li")].map(li => li.getAttribute("data-name")).join(",")`); !strings.Contains(got, "unique_totals_country") || !strings.Contains(got, "not_null_totals_country") {
		t.Errorf("the tests are not in the sidebar: %s", got)
	}

	// Search filters as the user types, opening the sections that hold matches.
	if err := p.ClickSelector(ctx, "#search"); err != nil {
		t.Fatal(err)
	}
	if err := p.Type(ctx, "tot"); err != nil {
		t.Fatal(err)
	}
	if got := visible(); got != "totals,not_null_totals_country,unique_totals_country" {
		t.Errorf("after typing \"tot\" the sidebar shows %q", got)
	}
	// Backspace three times, then a name that matches one node: Enter opens it.
	for range 3 {
		if err := p.Press(ctx, "Backspace", 8); err != nil {
			t.Fatal(err)
		}
	}
	if got := visible(); got != all {
		t.Errorf("after clearing the search the sidebar shows %q, want %q", got, all)
	}
	if err := p.Type(ctx, "top_c"); err != nil {
		t.Fatal(err)
	}
	if got := visible(); got != "top_country" {
		t.Errorf("after typing \"top_c\" the sidebar shows %q", got)
	}
	if err := p.Press(ctx, "Enter", 13); err != nil {
		t.Fatal(err)
	}
	waitFor(`location.hash === "#model.shop.top_country" && document.querySelector("#main h1").innerText.startsWith("top_country")`)
	if got := eval(`document.getElementById("main").innerText`); !strings.Contains(got, "select country from") || !strings.Contains(got, "Nothing references it.") {
		t.Errorf("the top_country page:\n%s", got)
	}
	// Its "Depends on" list links to totals.
	if err := p.ClickSelector(ctx, `#main ul.links a[href="#model.shop.totals"]`); err != nil {
		t.Fatal(err)
	}
	waitFor(`location.hash === "#model.shop.totals" && document.querySelector("#main h1").innerText.startsWith("totals")`)

	// The node page: description as text, columns with warehouse types, tests, lineage.
	mainText := eval(`document.getElementById("main").innerText`)
	for _, want := range []string{
		`Orders per country. <img src=x onerror="document.title='pwned'"> stays text.`,
		"shop.totals", "ISO country code", "How many orders the country placed.",
		"UInt64", "unique", "not_null", "stg_orders", "top_country",
	} {
		if !strings.Contains(mainText, want) {
			t.Errorf("the totals page lacks %q:\n%s", want, mainText)
		}
	}
	if n := eval(`String(document.querySelectorAll("#main img").length)`); n != "0" || strings.Contains(eval(`document.title`), "pwned") {
		t.Errorf("the description became markup: %s img elements, title %q", n, eval(`document.title`))
	}
	if got := eval(`[...document.querySelectorAll("svg.lineage a")].map(a => a.textContent.replace(/^\w+ /, "").trim()).sort().join(",")`); !strings.Contains(got, "stg_orders") || !strings.Contains(got, "top_country") || !strings.Contains(got, "orders") {
		t.Errorf("lineage boxes: %q, want orders, stg_orders, totals and top_country", got)
	}
	if got := eval(`document.querySelector("svg.lineage a.current").textContent`); !strings.Contains(got, "totals") {
		t.Errorf("the current node is not marked in the lineage: %q", got)
	}

	// A lineage box is a link: clicking the upstream model opens its page.
	if err := p.ClickSelector(ctx, `svg.lineage a[href="#model.shop.stg_orders"] rect`); err != nil {
		t.Fatal(err)
	}
	waitFor(`location.hash === "#model.shop.stg_orders" && document.querySelector("#main h1").innerText.startsWith("stg_orders")`)
	if got := eval(`document.querySelector("svg.lineage a.current").textContent`); !strings.Contains(got, "stg_orders") {
		t.Errorf("the stg_orders lineage does not mark it: %q", got)
	}
	if errs := p.Errors(); len(errs) > 0 {
		t.Errorf("the page reported JavaScript errors:\n%s", strings.Join(errs, "\n"))
	}
}
