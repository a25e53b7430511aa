package e2e

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// addTarget adds a target to the project's project.yml (a one-line YAML mapping as spec).
func addTarget(t *testing.T, dir, name, spec string) {
	t.Helper()
	p := filepath.Join(dir, "project.yml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "\ntargets:\n", "\ntargets:\n  "+name+": "+spec+"\n", 1)
	if text == string(b) {
		t.Fatalf("%s has no targets: section", p)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// failedModel checks that a build ended in a clear error: exit 1, some nodes done before the
// fault (it came mid-build), and a failure block that names the model, ClickHouse's error
// matching reason, and the model's compiled SQL. It returns the model's name.
func failedModel(t *testing.T, r result, reason string) string {
	t.Helper()
	if r.code != 1 {
		t.Fatalf("the build exited %d, want 1 (a node failed)\n%s\n%s", r.code, tail(r.stdout, 40), r.stderr)
	}
	if m := regexp.MustCompile(`PASS=(\d+)`).FindStringSubmatch(r.stdout); m == nil || m[1] == "0" {
		t.Errorf("nothing succeeded before the fault; it did not come mid-build:\n%s", tail(r.stdout, 20))
	}
	re := regexp.MustCompile(`(?m)^Failure in \w+ model (\w+)\.(\w+)\n\s+(\w+): .*(?i:` + reason + `).*\n\s+compiled SQL: target/compiled/\S+/(\w+)\.sql$`)
	m := re.FindStringSubmatch(r.stdout)
	if m == nil || m[2] != m[3] || m[3] != m[4] {
		t.Fatalf("no failure naming the model, %q and its compiled SQL:\n%s", reason, tail(r.stdout, 30))
	}
	return m[2]
}

// TestEngineErrorMidBuild: ClickHouse refuses a statement in the middle of a week's build (a
// target whose max_memory_usage is too small for the largest file load). The build stops that
// model with ClickHouse's error and skips its descendants; the next build on a normal target
// gives exactly the contents of an uninterrupted build.
func TestEngineErrorMidBuild(t *testing.T) {
	t.Parallel()
	sc := buildScene(t)
	dir := copyOf(t, sc.base)
	// 8 MB: event_stream's load needs about 12 MiB, every other statement of the build far less
	// (measured: only event_stream fails between 5 and 16 MB, nothing at 30 MB).
	addTarget(t, dir, "tight", "{type: chdb, path: .dwm/dev, database: duolingo, settings: {max_memory_usage: 8000000}}")
	r := dwm(t, dir, nil, "build", "--target", "tight")
	model := failedModel(t, r, "memory limit")
	t.Logf("with max_memory_usage 8 MB, %s failed", model)
	if d := sc.rerun(t, dir); len(d) > 0 {
		t.Errorf("after %s failed on the memory limit, a build on the normal target differs from an uninterrupted one:\n%s", model, strings.Join(d, "\n"))
	}
}

// TestDiskFullMidBuild: the warehouse's filesystem fills up in the middle of a week's build (a
// tmpfs a little larger than the warehouse before the build). The build stops with ClickHouse's
// out-of-space error; once there is room again, the next build gives exactly the contents of an
// uninterrupted build.
func TestDiskFullMidBuild(t *testing.T) {
	t.Parallel()
	sc := buildScene(t)
	dir := copyOf(t, sc.base)
	mnt := t.TempDir()
	have := dirSize(t, filepath.Join(dir, ".dwm", "dev"))
	size := have + 4<<20 // the build of three weeks needs about 9 MiB more
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		// A small filesystem needs mount(2): CAP_SYS_ADMIN, i.e. root (CI runs as root). A loop
		// device needs root as well, and no file-size limit (RLIMIT_FSIZE) stands in for a full
		// disk: it kills with SIGXFSZ instead of failing the write.
		t.Skipf("cannot mount a %d-byte tmpfs to fill (uid %d): %v", size, os.Geteuid(), err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	wh := filepath.Join(mnt, "wh")
	if err := copyTree(filepath.Join(dir, ".dwm", "dev"), wh); err != nil {
		t.Fatal(err)
	}
	addTarget(t, dir, "small", "{type: chdb, path: "+wh+", database: duolingo}")
	r := dwm(t, dir, nil, "build", "--target", "small")
	model := failedModel(t, r, "not enough space|no space left")
	t.Logf("on a %d-byte filesystem holding %d bytes, %s failed", size, have, model)

	// Room again: the same filesystem, grown.
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", syscall.MS_REMOUNT, "size=512m"); err != nil {
		t.Fatal(err)
	}
	if d := sc.rerun(t, dir, "--target", "small"); len(d) > 0 {
		t.Errorf("after the disk filled up in %s and was grown, a build differs from an uninterrupted one:\n%s", model, strings.Join(d, "\n"))
	}
}

func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n += info.Sys().(*syscall.Stat_t).Blocks * 512 // what the files occupy, as du counts
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// servedProject is a project built through `dwm serve`: seeds sent inline, tables, views,
// incremental models (both strategies that a re-run repeats safely) and tests. CDC models need a
// target that reads local files, which a server is not.
var servedProject = map[string]string{
	"project.yml": `name: shop
target: prod
targets:
  prod: {type: clickhouse, protocol: http, host: 127.0.0.1, port: PORT, password: '{{ env_var "SHOP_PASSWORD" }}'}
`,
	"seeds/customers.csv":      "id,name,country\n1,ann,fr\n2,bob,de\n3,cid,fr\n4,dan,it\n5,eve,de\n",
	"seeds/countries.csv":      "code,label\nfr,France\nde,Germany\nit,Italy\n",
	"models/stg_customers.sql": `select c.id, c.name, k.label as country from {{ ref "customers" }} c join {{ ref "countries" }} k on k.code = c.country`,
	"models/orders.sql": `{{ config "materialized" "table" "order_by" "order_id" }}
select number as order_id, toInt64(number % 5 + 1) as customer_id, toDate('2026-01-05') + number % 28 as day,
  toDecimal64(number % 97, 2) as amount from numbers(200000)`,
	"models/daily.sql": `{{ config "materialized" "incremental" "incremental_strategy" "delete+insert" "unique_key" "day" "order_by" "day" }}
select day, count() as orders, sum(amount) as amount from {{ ref "orders" }} group by day`,
	"models/customer_totals.sql": `{{ config "materialized" "table" "order_by" "id" }}
select c.id, c.name, c.country, count() as orders, sum(o.amount) as amount
from {{ ref "stg_customers" }} c join {{ ref "orders" }} o on o.customer_id = c.id group by c.id, c.name, c.country`,
	"models/country_totals.sql": `{{ config "materialized" "table" "order_by" "country" }}
select country, sum(orders) as orders, sum(amount) as amount from {{ ref "customer_totals" }} group by country`,
	"models/numbers_seen.sql": `{{ config "materialized" "incremental" "order_by" "n" }}
select number as n from numbers(1000){{ if is_incremental }} where n > (select max(n) from {{ this }}){{ end }}`,
	"models/top_country.sql": `select country from {{ ref "country_totals" }} order by amount desc limit 1`,
	"models/weekly.sql": `{{ config "materialized" "table" "order_by" "week" }}
select toMonday(day) as week, sum(orders) as orders from {{ ref "daily" }} group by week`,
	"models/schema.yml": `version: 2
models:
  - name: customer_totals
    columns:
      - {name: id, data_tests: [unique, not_null]}
  - name: country_totals
    columns:
      - {name: country, data_tests: [unique, not_null]}
  - name: daily
    columns:
      - {name: day, data_tests: [unique]}
  - name: weekly
    columns:
      - {name: week, data_tests: [unique, not_null]}
  - name: numbers_seen
    columns:
      - {name: n, data_tests: [unique]}
`,
}

const servePassword = "serve-fault-Pw-1618"

// server is a `dwm serve` process on a data directory.
type server struct {
	cmd     *exec.Cmd
	port    string
	scanned chan struct{}
	stderr  *strings.Builder
}

// startServer runs dwm serve on path (port "0" picks one) and waits until it listens.
func startServer(t *testing.T, path, port string) *server {
	t.Helper()
	cmd := exec.Command(dwmBin, "serve", "--path", path, "--port", port, "--tcp-port", "0")
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "DWM_SERVE_PASSWORD="+servePassword)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, scanned: make(chan struct{}), stderr: &strings.Builder{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.kill() })
	portc := make(chan string, 1)
	go func() {
		defer close(s.scanned)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := regexp.MustCompile(`listening on http://127\.0\.0\.1:(\d+)`).FindStringSubmatch(sc.Text()); m != nil {
				select {
				case portc <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case s.port = <-portc:
	case <-s.scanned:
		_ = cmd.Wait()
		t.Fatalf("dwm serve --path %s --port %s exited: %s", path, port, s.stderr.String())
	case <-time.After(2 * time.Minute):
		s.kill()
		t.Fatalf("dwm serve did not start: %s", s.stderr.String())
	}
	return s
}

// kill ends the server with SIGKILL, as a crash would, and reaps it.
func (s *server) kill() {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.scanned
	_ = s.cmd.Wait()
}

// servedCopy writes servedProject pointed at port into a new folder.
func servedCopy(t *testing.T, port string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range servedProject {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(body, "PORT", port, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestServerDiesMidBuild builds a project through a `type: clickhouse, protocol: http` target
// whose server (`dwm serve` in another process) is killed with SIGKILL in the middle of the
// build: the build ends with a clear error naming a model and the lost connection, never hangs;
// after the server is restarted on the same data and port, the next build gives exactly what an
// uninterrupted build on another server gives.
func TestServerDiesMidBuild(t *testing.T) {
	t.Parallel()
	env := []string{"SHOP_PASSWORD=" + servePassword}
	// The reference: an uninterrupted build on a server of its own, with its statement log.
	refSrv := startServer(t, t.TempDir(), "0")
	ref := servedCopy(t, refSrv.port)
	refLog := filepath.Join(t.TempDir(), "statements.log")
	if r := dwm(t, ref, append(env, "DWM_STATEMENT_LOG="+refLog), "build", "--threads", "1"); r.code != 0 {
		t.Fatalf("reference build: exit %d\n%s\n%s", r.code, tail(r.stdout, 30), r.stderr)
	}
	total := len(readStatementLog(t, refLog, ref))
	want := servedContents(t, ref, env)
	refSrv.kill()

	data := t.TempDir()
	srv := startServer(t, data, "0")
	dir := servedCopy(t, srv.port)
	killAt := total / 2
	run := startLogged(t, dir, env, "build", "--threads", "1")
	if ok, err := run.reach(t, killAt, 5*time.Minute); !ok {
		t.Fatalf("the build ended (%v) before statement %d of %d:\n%s", err, killAt, total, tail(run.out.String(), 30))
	}
	srv.kill()
	var err error
	select {
	case err = <-run.exited:
	case <-time.After(3 * time.Minute):
		t.Fatalf("the build hung after its server died:\n%s", tail(run.out.String(), 30))
	}
	r := result{stdout: run.out.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	}
	model := failedModel(t, r, "connection refused|EOF|connection reset|broken pipe")
	t.Logf("server killed after statement %d of %d; %s failed:\n%s", killAt, total, model, tail(r.stdout, 8))
	if strings.Contains(r.stdout, servePassword) {
		t.Errorf("the build printed the password")
	}

	// The server comes back on the same data and port; a plain build converges.
	startServer(t, data, srv.port)
	if r := dwm(t, dir, env, "build"); r.code != 0 {
		t.Fatalf("the build after the restart: exit %d\n%s\n%s", r.code, tail(r.stdout, 30), r.stderr)
	}
	if d := diffSums(want, servedContents(t, dir, env)); len(d) > 0 {
		t.Errorf("after the server died mid-build and came back, a build differs from an uninterrupted one:\n%s", strings.Join(d, "\n"))
	}
}

// servedContents is contents() through the server target (checksum --owned).
func servedContents(t *testing.T, dir string, env []string) map[string]string {
	t.Helper()
	r := dwm(t, dir, env, "checksum", "--owned")
	if r.code != 0 {
		t.Fatalf("checksum: exit %d\n%s", r.code, r.stderr)
	}
	out := parseChecksums(r.stdout)
	if len(out) < 10 {
		t.Fatalf("checksum listed %d relations:\n%s", len(out), r.stdout)
	}
	return out
}
