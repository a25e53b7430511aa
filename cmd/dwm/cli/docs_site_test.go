package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dwmhq/dwm/internal/testtools"
)

// docsProject is a small project with a snapshot, doc blocks and documented columns.
var docsProject = map[string]string{
	"project.yml":           "name: shop\n",
	"seeds/orders.csv":      "order_id,status\n1,placed\n2,shipped\n",
	"models/docs.md":        `{{ define "status" }}Where the order is in its lifecycle.{{ end }}`,
	"models/stg_orders.sql": `select order_id, status from {{ ref "orders" }}`,
	"models/shipped.sql": `{{ config "materialized" "table" }}
select order_id from {{ ref "stg_orders" }} where status = 'shipped'`,
	"snapshots/order_history.sql": `{{ config "strategy" "check" "check_cols" "all" "unique_key" "order_id" }}
select * from {{ ref "stg_orders" }}`,
	"models/schema.yml": `version: 2
models:
  - name: stg_orders
    description: Orders, cleaned.
    columns:
      - {name: status, description: '{{ doc "status" }}'}
`,
}

// dumpDOM loads url in headless Chromium and returns the DOM after the page's script ran.
func dumpDOM(t *testing.T, chromium, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=5000", "--dump-dom", url)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom %s: %v", url, err)
	}
	return string(out)
}

func mainOf(t *testing.T, dom string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<main id="main">(.*)</main>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("no <main> in the page:\n%s", dom)
	}
	return m[1]
}

// TestDocsSiteFeatures renders the page `dwm docs generate` writes in headless Chromium: the
// overview draws the project-wide lineage, #search=... lists matches in names, descriptions and
// columns (doc blocks rendered), a node page shows its compiled SQL inline; then `dwm docs serve`
// serves the same page over HTTP, read-only and nothing beyond it.
func TestDocsSiteFeatures(t *testing.T) {
	if os.Getenv("DWM_SKIP_CHDB") == "1" {
		t.Skip("DWM_SKIP_CHDB=1: skipping tests on the real embedded ClickHouse")
	}
	chromium := testtools.Path(t, testtools.Chromium)
	dir := t.TempDir()
	writeProject(t, dir, docsProject)
	for _, args := range [][]string{{"build"}, {"docs", "generate"}} {
		if code, out, errOut := runDWM(t, append(args, "--project-dir", dir, "--no-color")...); code != ExitOK {
			t.Fatalf("dwm %v: exit %d\n%s\n%s", args, code, out, errOut)
		}
	}
	page := "file://" + filepath.Join(dir, "target", "index.html")

	overview := mainOf(t, dumpDOM(t, chromium, page))
	lineage := regexp.MustCompile(`(?s)<svg class="lineage project".*?</svg>`).FindString(overview)
	for _, id := range []string{"seed.shop.orders", "model.shop.stg_orders", "model.shop.shipped", "snapshot.shop.order_history"} {
		if !strings.Contains(lineage, `href="#`+id+`"`) {
			t.Errorf("the project lineage lacks %s:\n%s", id, lineage)
		}
	}
	if n := strings.Count(lineage, "<path "); n != 3 {
		t.Errorf("the project lineage has %d edges, want 3 (orders→stg_orders→shipped, stg_orders→order_history)", n)
	}

	search := mainOf(t, dumpDOM(t, chromium, page+"#search=lifecycle"))
	if !strings.Contains(search, "Search: lifecycle") || !strings.Contains(search, `href="#model.shop.stg_orders"`) ||
		!strings.Contains(search, "column status") || !strings.Contains(search, "Where the order is in its lifecycle.") {
		t.Errorf("searching a column description found:\n%s", search)
	}
	if strings.Contains(search, "shipped") {
		t.Errorf("the search lists nodes that do not match:\n%s", search)
	}

	node := mainOf(t, dumpDOM(t, chromium, page+"#model.shop.shipped"))
	if !regexp.MustCompile("(?s)<h2>Compiled SQL</h2><pre class=\"compiled\"><code>\\s*select order_id from `shop`.`stg_orders` where status = 'shipped'").MatchString(node) {
		t.Errorf("the shipped page lacks its compiled SQL inline:\n%s", node)
	}

	// dwm docs serve: the same page over HTTP on loopback, and nothing else.
	srv := exec.Command(dwmBinary(t), "docs", "serve", "--port", "0", "--project-dir", dir)
	srv.Env = serveEnv(t)
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Process.Signal(os.Interrupt); _ = srv.Wait() }()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := regexp.MustCompile(`Serving docs at (http://127\.0\.0\.1:\d+)/`).FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	var base string
	select {
	case base = <-addr:
	case <-time.After(60 * time.Second):
		t.Fatal("dwm docs serve did not print its address")
	}
	// Served, the page works as from a file; here a search without matches.
	if none := mainOf(t, dumpDOM(t, chromium, base+"/#search=nosuchword")); !strings.Contains(none, "Nothing matches") {
		t.Errorf("a search without matches on the served page:\n%s", none)
	}
	get := func(method, path string) (int, string, http.Header) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader("x"))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b), res.Header
	}
	if code, body, hdr := get("GET", "/compiled/shop/models/shipped.sql"); code != 200 || !strings.Contains(body, "where status = 'shipped'") ||
		!strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("compiled SQL: %d %q %v", code, body, hdr)
	}
	if err := os.Symlink(filepath.Join(dir, "project.yml"), filepath.Join(dir, "target", "compiled", "shop", "leak.sql")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/manifest.json", 404}, {"GET", "/catalog.json", 404}, {"GET", "/../project.yml", 404},
		{"GET", "/compiled/../../project.yml", 404}, {"GET", "/compiled/shop/../../../project.yml.sql", 403},
		{"GET", "/compiled/shop/leak.sql", 403}, {"POST", "/", 405}, {"PUT", "/index.html", 405},
	} {
		if code, body, _ := get(c.method, c.path); code != c.want || strings.Contains(body, "name: shop") {
			t.Errorf("%s %s: %d %q, want %d", c.method, c.path, code, body, c.want)
		}
	}
}
