package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/dwmhq/dwm/internal/testtools"
)

// TestServeClients drives one `dwm serve` process with the official clients, each with its
// default settings: clickhouse-connect (Python), @clickhouse/client (Node.js), clickhouse-go over
// HTTP, and dbt-clickhouse building a project whose tables must equal those dwm builds from the
// project converted by `dwm import dbt`, through the same server. The client programs live in testdata/serve.
func TestServeClients(t *testing.T) {
	const secret = "clients-Pw-31!"
	env := serveEnv(t, envServePassword+"="+secret, "CH_PASSWORD="+secret)
	srv := startServe(t, env, "--path", filepath.Join(t.TempDir(), "data"))
	database := func(t *testing.T, name string) {
		t.Helper()
		if st, code, body := srv.query(t, "default", secret, "CREATE DATABASE "+name, nil, nil); st != 200 {
			t.Fatalf("create database: %d %s %s", st, code, body)
		}
	}
	testdata, err := filepath.Abs(filepath.Join("testdata", "serve"))
	if err != nil {
		t.Fatal(err)
	}
	runClient := func(t *testing.T, cmd *exec.Cmd, extraEnv ...string) {
		t.Helper()
		cmd.Env = append(append([]string(nil), env...), extraEnv...)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "OK") {
			t.Fatalf("%s: %v\n%s\nserver log:\n%s", filepath.Base(cmd.Args[1]), err, out, srv.stderr.String())
		}
	}

	t.Run("clickhouse-connect", func(t *testing.T) {
		database(t, "py")
		runClient(t, exec.Command(testtools.PythonBin(t), filepath.Join(testdata, "clickhouse_connect_client.py"), "127.0.0.1", srv.port, "default", "py"))
	})

	t.Run("clickhouse-js", func(t *testing.T) {
		database(t, "js")
		node, err := exec.LookPath("node")
		if err != nil {
			t.Fatalf("node: %v (npm's node is needed for the Node.js client)", err)
		}
		cmd := exec.Command(node, filepath.Join(testdata, "clickhouse_js_client.mjs"), srv.base, "default", "js")
		runClient(t, cmd, "NODE_PATH="+filepath.Join(testtools.Path(t, testtools.Node), "node_modules"))
	})

	t.Run("clickhouse-go", func(t *testing.T) {
		database(t, "gohttp")
		clickhouseGoHTTP(t, srv, secret)
	})

	t.Run("dbt", func(t *testing.T) {
		dbtEqualsDwm(t, srv, env, testdata, secret)
	})
}

// clickhouseGoHTTP: clickhouse-go's HTTP transport with LZ4 both ways, a batch insert, a typed
// read and a session's temporary table.
func clickhouseGoHTTP(t *testing.T, srv *served, password string) {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: []string{"127.0.0.1:" + srv.port}, Protocol: clickhouse.HTTP,
		Auth:        clickhouse.Auth{Username: "default", Password: password, Database: "gohttp"},
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
		Settings:    clickhouse.Settings{"session_id": fmt.Sprintf("go-%d", os.Getpid())},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, sql := range []string{
		"CREATE TABLE t (id UInt64, s String, at DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY id",
		"CREATE TEMPORARY TABLE tmp (x UInt8)",
		"INSERT INTO tmp VALUES (1), (2)",
	} {
		if err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO t")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	for i := 0; i < 50000; i++ {
		if err := batch.Append(uint64(i), fmt.Sprintf("s%d", i), at.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	var n, sum uint64
	var last time.Time
	var tmp uint64
	if err := conn.QueryRow(ctx, "SELECT count(), sum(id), max(at), (SELECT count() FROM tmp) FROM t").Scan(&n, &sum, &last, &tmp); err != nil {
		t.Fatal(err)
	}
	if n != 50000 || sum != 50000*49999/2 || !last.Equal(at.Add(49999*time.Millisecond)) || tmp != 2 {
		t.Errorf("count %d sum %d max %v temporary rows %d", n, sum, last, tmp)
	}
}

// dbtEqualsDwm builds testdata/serve/dbt_shop with dbt-clickhouse (sessions always), converts the
// same project with `dwm import dbt` and builds the result with dwm, both through srv and twice
// (the second time incrementally), and compares every model's columns and rows: the round trip
// of issue 14. The profile's schema is an env_var, so the imported target reads it too.
func dbtEqualsDwm(t *testing.T, srv *served, env []string, testdata, password string) {
	dbtDir := t.TempDir()
	if err := os.CopyFS(dbtDir, os.DirFS(filepath.Join(testdata, "dbt_shop"))); err != nil {
		t.Fatal(err)
	}
	profile := fmt.Sprintf("dwm_serve:\n  target: dev\n  outputs:\n    dev:\n      type: clickhouse\n      host: 127.0.0.1\n"+
		"      port: %s\n      user: default\n      password: \"{{ env_var('CH_PASSWORD') }}\"\n      schema: \"{{ env_var('SHOP_SCHEMA') }}\"\n", srv.port)
	if err := os.WriteFile(filepath.Join(dbtDir, "profiles.yml"), []byte(profile), 0o600); err != nil {
		t.Fatal(err)
	}
	dwmDir := filepath.Join(t.TempDir(), "shop")
	var out, errOut strings.Builder
	if code := Main([]string{"import", "dbt", dbtDir, dwmDir}, nil, &out, &errOut); code != ExitOK {
		t.Fatalf("dwm import dbt: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	venv := testtools.Path(t, testtools.Python)
	for i := 0; i < 2; i++ {
		// The dbt script is run by the venv's python, whatever its #! line says.
		cmd := exec.Command(filepath.Join(venv, "bin", "python"), filepath.Join(venv, "bin", "dbt"), "build",
			"--profiles-dir", dbtDir, "--project-dir", dbtDir, "--no-use-colors")
		cmd.Dir = dbtDir
		cmd.Env = append(env, "DBT_SEND_ANONYMOUS_USAGE_STATS=false", "SHOP_SCHEMA=dbt_shop")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "ERROR=0") {
			t.Fatalf("dbt build #%d: %v\n%s\nserver log:\n%s", i+1, err, out, srv.stderr.String())
		}
	}
	for i := 0; i < 2; i++ {
		cmd := exec.Command(dwmBinary(t), "build")
		cmd.Dir = dwmDir
		cmd.Env = append(env, "SHOP_SCHEMA=dwm_shop")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("dwm build #%d: %v\n%s", i+1, err, out)
		}
	}
	for _, model := range []string{"stg_orders", "customer_totals", "monthly_revenue", "order_facts", "status_summary", "customers", "orders"} {
		var got [2]string
		for i, db := range []string{"dbt_shop", "dwm_shop"} {
			_, _, cols := srv.query(t, "default", password, "SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position",
				map[string][]string{"param_db": {db}, "param_t": {model}}, nil)
			st, code, rows := srv.query(t, "default", password, "SELECT * FROM "+db+"."+model+" ORDER BY ALL", nil, nil)
			if st != 200 {
				t.Fatalf("%s.%s: %d %s %s", db, model, st, code, rows)
			}
			got[i] = cols + "\n" + rows
		}
		if model == "customers" || model == "orders" {
			// Seeds: dbt and dwm infer column types their own way; the rows must agree.
			got[0], got[1] = rowsOnly(got[0]), rowsOnly(got[1])
		}
		if got[0] != got[1] || strings.Count(got[0], "\n") < 10 {
			t.Errorf("%s differs between dbt and dwm:\n--- dbt\n%.2000s\n--- dwm\n%.2000s", model, got[0], got[1])
		}
	}
}

// rowsOnly drops the column list from a "columns\n\nrows" comparison text.
func rowsOnly(s string) string {
	_, rows, _ := strings.Cut(s, "\n\n")
	return rows
}
