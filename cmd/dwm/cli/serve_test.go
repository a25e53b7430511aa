package cli

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// serveProject is a tiny project whose prod target is a ClickHouse server over HTTP.
var serveProject = map[string]string{
	"project.yml": `name: shop
target: prod
targets:
  prod:
    type: clickhouse
    protocol: http
    host: 127.0.0.1
    port: PORT
    password: '{{ env_var "CH_PASSWORD" }}'
`,
	"seeds/customers.csv": "id,name,country\n1,ann,fr\n2,bob,de\n3,cid,fr\n",
	"models/totals.sql":   "{{ config \"materialized\" \"table\" \"order_by\" \"id\" }}\nselect id, name, length(name) as n from {{ ref \"customers\" }}\n",
	"models/fr.sql":       "select * from {{ ref \"totals\" }} where id in (select id from {{ ref \"customers\" }} where country = 'fr')\n",
	"models/events.sql": `{{ config "materialized" "incremental" "order_by" "n" }}
select number as n from numbers({{ var "n" 5 }})
{{ if is_incremental }}where n > (select max(n) from {{ this }}){{ end }}
`,
	"models/schema.yml": "models:\n  - name: totals\n    columns:\n      - name: id\n        data_tests: [not_null, unique]\n",
}

// TestServeAndRunAgainstIt runs `dwm serve` and `dwm build --target prod` as two processes (each
// has its own engine, so libchdb's one-directory-per-process rule does not bite): the whole
// session path, seeds sent inline, models, tests and an incremental second run, over a real
// ClickHouse protocol endpoint. The password must appear in no output and no artifact.
func TestServeAndRunAgainstIt(t *testing.T) {
	lib := ""
	for _, p := range chdb.LibraryCandidates("", os.Getenv) {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			lib = p
			break
		}
	}
	if lib == "" {
		if os.Getenv("DWM_SKIP_CHDB") == "1" {
			t.Skip("DWM_SKIP_CHDB=1")
		}
		t.Fatal("libchdb not found (run `make setup`)")
	}
	dwm, err := exec.LookPath("dwm") // testscript.Main put the test binary there as dwm
	if err != nil {
		t.Fatal(err)
	}
	const secret = "Serve-E2E-secret!42"
	env := append(os.Environ(), chdb.EnvLibrary+"="+lib, "NO_COLOR=1", envServePassword+"="+secret, "CH_PASSWORD="+secret)

	srv := exec.Command(dwm, "serve", "--path", filepath.Join(t.TempDir(), "data"), "--port", "0")
	srv.Env = env
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var srvErr strings.Builder
	srv.Stderr = &srvErr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	portc := make(chan string, 1)
	scanned := make(chan struct{})
	stopped := false
	// stop ends the server; Wait comes after the last read of its stdout (exec closes the pipe
	// in Wait) and before srvErr is read (exec writes it until Wait returns).
	stop := func() {
		if !stopped {
			stopped = true
			_ = srv.Process.Signal(os.Interrupt)
			<-scanned
			_ = srv.Wait()
		}
	}
	defer stop()
	go func() {
		defer close(scanned)
		for lines.Scan() {
			if m := regexp.MustCompile(`listening on http://127\.0\.0\.1:(\d+)`).FindStringSubmatch(lines.Text()); m != nil {
				select {
				case portc <- m[1]:
				default: // only the first address matters; keep draining stdout
				}
			}
		}
	}()
	var port string
	select {
	case port = <-portc:
	case <-time.After(60 * time.Second):
		stop()
		t.Fatalf("dwm serve did not start: %s", srvErr.String())
	}

	dir := t.TempDir()
	for name, body := range serveProject {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(body, "PORT", port, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) string {
		t.Helper()
		c := exec.Command(dwm, args...)
		c.Dir = dir
		c.Env = env
		b, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("dwm %v: %v\n%s", args, err, b)
		}
		if strings.Contains(string(b), secret) {
			t.Fatalf("dwm %v printed the password:\n%s", args, b)
		}
		return string(b)
	}
	got := run("build", "--target", "prod")
	for _, want := range []string{
		`OK seed file shop.customers .* \[INSERT 3 `,
		`OK table model shop.totals .* \[CREATE 3 `,
		`OK view model shop.fr `,
		`OK incremental model shop.events .* \[CREATE 5 `,
		`PASS=6 WARN=0 ERROR=0 SKIP=0 TOTAL=6`,
	} {
		if !regexp.MustCompile(want).MatchString(got) {
			t.Errorf("build output lacks %q:\n%s", want, got)
		}
	}
	got = run("run", "-s", "events", "--vars", "{n: 8}")
	if !strings.Contains(got, "[INSERT 3 ") {
		t.Errorf("incremental run:\n%s", got)
	}
	got = run("show", "--inline", `select count() as c, max(n) as hi from {{ ref "events" }}`, "--output", "csv")
	if !strings.Contains(got, "c,hi\n8,7\n") {
		t.Errorf("show:\n%s", got)
	}
	got = run("show", "--inline", `select name from {{ ref "fr" }} order by id`, "--output", "csv")
	if !strings.Contains(got, "name\nann\ncid\n") {
		t.Errorf("show fr:\n%s", got)
	}
	run("debug")
	// Nothing dwm wrote may hold the password.
	err = filepath.Walk(filepath.Join(dir, "target"), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), secret) {
			t.Errorf("%s holds the password", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if strings.Contains(srvErr.String(), secret) {
		t.Errorf("dwm serve logged the password: %s", srvErr.String())
	}
	// Under go test -race the server is a race-detecting binary too: it reports on stderr.
	if strings.Contains(srvErr.String(), "DATA RACE") {
		t.Errorf("dwm serve had a data race:\n%s", srvErr.String())
	}
}
