package cli

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"

	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// serveProject is a tiny project whose prod target is a ClickHouse server (PROTOCOL, PORT).
var serveProject = map[string]string{
	"project.yml": `name: shop
target: prod
targets:
  prod:
    type: clickhouse
    protocol: PROTOCOL
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

// testEnv finds libchdb and the dwm binary (the test binary, installed by testscript.Main) for
// tests that run dwm as separate processes.
func testEnv(t *testing.T, extra ...string) (dwm string, env []string) {
	t.Helper()
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
	return dwm, append(append(os.Environ(), chdb.EnvLibrary+"="+lib, "NO_COLOR=1"), extra...)
}

// endpointRe matches the lines in which dwm serve names its endpoints.
var endpointRe = regexp.MustCompile(`^dwm serve: listening on (http|tcp)://(127\.0\.0\.1:\d+)$`)

// startServe runs `dwm serve args...` in dir and returns the host:port of each endpoint by
// scheme, read from its first lines, and a function that stops it (also run at cleanup).
func startServe(t *testing.T, dwm string, env []string, dir string, args ...string) (map[string]string, func() string) {
	t.Helper()
	srv := exec.Command(dwm, append([]string{"serve", "--port", "0", "--tcp-port", "0"}, args...)...)
	srv.Dir, srv.Env = dir, env
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var srvErr strings.Builder
	srv.Stderr = &srvErr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() string {
		if !stopped {
			stopped = true
			_ = srv.Process.Signal(os.Interrupt)
			_ = srv.Wait()
		}
		return srvErr.String()
	}
	t.Cleanup(func() { stop() })
	ready := make(chan map[string]string, 1)
	go func() {
		found := map[string]string{}
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if m := endpointRe.FindStringSubmatch(lines.Text()); m != nil {
				found[m[1]] = m[2]
			}
			if strings.HasPrefix(lines.Text(), "dwm serve: data ") {
				ready <- found
			}
		}
	}()
	select {
	case found := <-ready:
		if found["http"] == "" || found["tcp"] == "" {
			t.Fatalf("dwm serve named endpoints %v", found)
		}
		return found, stop
	case <-time.After(60 * time.Second):
		t.Fatalf("dwm serve did not start: %s", srvErr.String())
	}
	return nil, nil
}

// replaced returns files with each old, new pair of replace applied to every file.
func replaced(files map[string]string, replace ...string) map[string]string {
	r := strings.NewReplacer(replace...)
	out := make(map[string]string, len(files))
	for name, body := range files {
		out[name] = r.Replace(body)
	}
	return out
}

// runDwm runs dwm args in dir and returns its combined output; it fails t when dwm fails.
func runDwm(t *testing.T, dwm string, env []string, dir string, args ...string) string {
	t.Helper()
	c := exec.Command(dwm, args...)
	c.Dir, c.Env = dir, env
	b, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("dwm %v: %v\n%s", args, err, b)
	}
	return string(b)
}

// TestServeAndRunAgainstIt runs `dwm serve` and `dwm build --target prod` as two processes (each
// has its own engine, so libchdb's one-directory-per-process rule does not bite): the whole
// session path, seeds sent inline, models, tests and an incremental second run, over a real
// ClickHouse protocol endpoint, once over HTTP and once over the native protocol. The password
// must appear in no output and no artifact.
func TestServeAndRunAgainstIt(t *testing.T) {
	const secret = "Serve-E2E-secret!42"
	dwm, env := testEnv(t, envServePassword+"="+secret, "CH_PASSWORD="+secret)
	for _, protocol := range []string{"http", "native"} {
		t.Run(protocol, func(t *testing.T) {
			endpoints, stop := startServe(t, dwm, env, t.TempDir(), "--path", filepath.Join(t.TempDir(), "data"))
			addr := endpoints["http"]
			if protocol == "native" {
				addr = endpoints["tcp"]
			}
			dir := t.TempDir()
			writeProject(t, dir, replaced(serveProject, "PORT", strings.TrimPrefix(addr, "127.0.0.1:"), "PROTOCOL", protocol))
			run := func(args ...string) string {
				t.Helper()
				out := runDwm(t, dwm, env, dir, args...)
				if strings.Contains(out, secret) {
					t.Fatalf("dwm %v printed the password:\n%s", args, out)
				}
				return out
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
			err := filepath.Walk(filepath.Join(dir, "target"), func(p string, info os.FileInfo, err error) error {
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
			if log := stop(); strings.Contains(log, secret) {
				t.Errorf("dwm serve logged the password: %s", log)
			}
		})
	}
}

// localProject is serveProject on the default embedded target.
var localProject = func() map[string]string {
	files := map[string]string{"project.yml": "name: shop\n"}
	for name, body := range serveProject {
		if name != "project.yml" {
			files[name] = body
		}
	}
	return files
}()

// TestCommandsGoThroughRunningServer: while `dwm serve` holds a project's embedded warehouse,
// build, run, test, show and docs generate on that project go through it, say so, and give the
// results the same project gives embedded; what they wrote is in the project's own warehouse.
func TestCommandsGoThroughRunningServer(t *testing.T) {
	dwm, env := testEnv(t)
	embedded, served := t.TempDir(), t.TempDir()
	writeProject(t, embedded, localProject)
	writeProject(t, served, localProject)
	queries := []string{
		`select * from {{ ref "customers" }} order by id`,
		`select * from {{ ref "totals" }} order by id`,
		`select * from {{ ref "fr" }} order by id`,
		`select * from {{ ref "events" }} order by n`,
	}
	show := func(dir, q string) (stdout, stderr string) {
		t.Helper()
		c := exec.Command(dwm, "show", "--inline", q, "--output", "csv")
		c.Dir, c.Env = dir, env
		var o, e strings.Builder
		c.Stdout, c.Stderr = &o, &e
		if err := c.Run(); err != nil {
			t.Fatalf("show %s: %v\n%s%s", q, err, o.String(), e.String())
		}
		return o.String(), e.String()
	}
	runDwm(t, dwm, env, embedded, "build")
	runDwm(t, dwm, env, embedded, "run", "-s", "events", "--vars", "{n: 8}")
	want := map[string]string{}
	for _, q := range queries {
		want[q], _ = show(embedded, q)
	}
	catalog := regexp.MustCompile(`Catalog of \d+ relations`).FindString(runDwm(t, dwm, env, embedded, "docs", "generate"))
	if catalog == "" {
		t.Fatal("docs generate printed no catalog size")
	}

	_, stop := startServe(t, dwm, env, served)
	note := regexp.MustCompile(`note: the warehouse is held by dwm serve \(pid \d+\); running through it at tcp://127\.0\.0\.1:\d+`)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"build"}, "PASS=6 WARN=0 ERROR=0 SKIP=0 TOTAL=6"},
		{[]string{"run", "-s", "events", "--vars", "{n: 8}"}, "[INSERT 3 "},
		{[]string{"test"}, "PASS=2 WARN=0 ERROR=0 SKIP=0 TOTAL=2"},
		{[]string{"docs", "generate"}, catalog},
	} {
		out := runDwm(t, dwm, env, served, c.args...)
		if !note.MatchString(out) || !strings.Contains(out, c.want) {
			t.Errorf("dwm %v through the server:\n%s", c.args, out)
		}
	}
	for _, q := range queries {
		got, stderr := show(served, q)
		if got != want[q] || !note.MatchString(stderr) {
			t.Errorf("show %s through the server:\n%s%s\nwant\n%s", q, stderr, got, want[q])
		}
	}
	stop()
	if _, err := os.Stat(filepath.Join(served, ".dwm", "dev", "dwm-serve.json")); !os.IsNotExist(err) {
		t.Errorf("discovery file after serve stopped: %v", err)
	}
	// Embedded again: what went through the server is in the project's warehouse.
	for _, q := range queries {
		got, stderr := show(served, q)
		if got != want[q] || note.MatchString(stderr) {
			t.Errorf("show %s embedded after serve stopped:\n%s%s\nwant\n%s", q, stderr, got, want[q])
		}
	}
}

// TestServeNativeProtocol drives a `dwm serve` process with clickhouse-go's native transport:
// DDL, a batch insert of mixed types read back value by value, an exception, a cancelled query
// that stops in the server's engine, and LZ4 and ZSTD compression.
func TestServeNativeProtocol(t *testing.T) {
	const secret = "Native-E2E-secret!7"
	dwm, env := testEnv(t, envServePassword+"="+secret)
	endpoints, _ := startServe(t, dwm, env, t.TempDir(), "--path", filepath.Join(t.TempDir(), "data"))
	connect := func(method clickhouse.CompressionMethod) clickhouse.Conn {
		conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{endpoints["tcp"]}, Auth: clickhouse.Auth{Password: secret},
			Compression: &clickhouse.Compression{Method: method}, MaxOpenConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	ctx := context.Background()
	conn := connect(clickhouse.CompressionLZ4)
	if err := conn.Exec(ctx, `CREATE TABLE m (id UInt64, note Nullable(String), kind LowCardinality(String), xs Array(UInt32),
		at DateTime64(3, 'UTC'), price Decimal(18, 4)) ENGINE = MergeTree ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	type row struct {
		id    uint64
		note  *string
		kind  string
		xs    []uint32
		at    time.Time
		price decimal.Decimal
	}
	mk := func(i int) row {
		r := row{id: uint64(i), kind: []string{"a", "b"}[i%2], xs: []uint32{uint32(i), 7}, at: time.UnixMilli(1714979289000 + int64(i)).UTC(),
			price: decimal.New(int64(i)*3, -1)}
		if i%3 > 0 {
			s := "n" + strconv.Itoa(i)
			r.note = &s
		}
		return r
	}
	const n = 10000
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO m")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		r := mk(i)
		if err := batch.Append(r.id, r.note, r.kind, r.xs, r.at, r.price); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []clickhouse.Conn{conn, connect(clickhouse.CompressionZSTD)} {
		rows, err := c.Query(ctx, "SELECT id, note, kind, xs, at, price FROM m ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		for rows.Next() {
			var got row
			if err := rows.Scan(&got.id, &got.note, &got.kind, &got.xs, &got.at, &got.price); err != nil {
				t.Fatal(err)
			}
			want := mk(i)
			same := got.id == want.id && (got.note == nil) == (want.note == nil) &&
				(got.note == nil || *got.note == *want.note) && got.kind == want.kind && reflect.DeepEqual(got.xs, want.xs) &&
				got.at.Equal(want.at) && got.price.Equal(want.price)
			if !same {
				t.Fatalf("row %d: got %+v, want %+v", i, got, want)
			}
			i++
		}
		if rows.Err() != nil || i != n {
			t.Fatalf("read %d rows: %v", i, rows.Err())
		}
	}
	var ex *clickhouse.Exception
	if err := conn.Exec(ctx, "SELECT * FROM nope"); !errors.As(err, &ex) || ex.Code != 60 {
		t.Errorf("unknown table: %v", err)
	}
	qctx, cancel := context.WithCancel(ctx)
	defer time.AfterFunc(300*time.Millisecond, cancel).Stop()
	if err := conn.QueryRow(qctx, "SELECT count() FROM numbers(100000000000) -- e2e_cancel").Scan(new(uint64)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var left uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM system.processes WHERE query LIKE '%e2e_cancel%' AND query NOT LIKE '%system.processes%'").Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cancelled query still runs in dwm serve")
		}
	}
}
