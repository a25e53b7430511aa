package seed

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

// shared is the package's one embedded warehouse (libchdb allows one data directory per process).
var shared chdbtest.Shared

func TestMain(m *testing.M) {
	os.Exit(shared.Run(m, chdb.Options{}))
}

// testDB returns the shared warehouse and a fresh database for the test.
func testDB(tb testing.TB) (*chdb.Warehouse, string) {
	tb.Helper()
	return shared.Database(tb, "s_")
}

func query(t *testing.T, wh warehouse.Warehouse, sql string) string {
	t.Helper()
	return chdbtest.Rows(t, wh, sql, "|")
}

// loadSeed runs a seed as the runner will: Parse, Inspect, Plan, Execute.
func loadSeed(t *testing.T, wh warehouse.Warehouse, n *manifest.Node, dir, suffix string, caps warehouse.Capabilities) error {
	t.Helper()
	ctx := context.Background()
	opts, err := OptionsFrom(n.Config)
	if err != nil {
		return err
	}
	schema, err := Parse(os.DirFS(dir), n.Path, opts)
	if err != nil {
		return err
	}
	state, err := materialize.Inspect(ctx, wh, n.Database, n.Alias)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(dir, n.Path))
	if err != nil {
		return err
	}
	steps, err := Plan(Input{Node: n, Schema: schema, AbsPath: filepath.Join(dir, n.Path), Data: data, State: state, Caps: caps, Suffix: suffix})
	if err != nil {
		return err
	}
	st, err := materialize.Execute(ctx, wh, steps, nil)
	if err == nil && st.RowsWritten != uint64(schema.Rows) {
		t.Errorf("Execute counted %d rows written, the file has %d", st.RowsWritten, schema.Rows)
	}
	return err
}

func writeSeed(t *testing.T, dir, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "seeds"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "seeds", "s.csv"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

const allTypes = "id,name,ok,day,old,ts,ts3,f,n,big\n" +
	"1,alice,true,2024-01-02,1950-06-01,2024-01-02 03:04:05,2024-01-02 03:04:05.123,1.5,,18446744073709551615\n" +
	"2,\"b,\"\"ob\"\"\",FALSE,,1969-12-31,,,,7,1\n" +
	"3,,True,2024-02-29,2000-01-01,2024-12-31 23:59:59,2024-01-02 03:04:05.1,-2e3,8,2\n"

func TestIntegrationSeedTypesAndNulls(t *testing.T) {
	wh, db := testDB(t)
	for _, caps := range []warehouse.Capabilities{
		wh.Capabilities(),                      // file()
		{Kind: "inline", ExchangeTables: true}, // INSERT ... FORMAT CSVWithNames with the data inline
	} {
		t.Run(caps.Kind, func(t *testing.T) {
			dir := t.TempDir()
			writeSeed(t, dir, allTypes)
			n := &manifest.Node{UniqueID: "seed.p.s", Path: "seeds/s.csv", Database: db, Alias: "s_" + caps.Kind}
			if err := loadSeed(t, wh, n, dir, "a1", caps); err != nil {
				t.Fatal(err)
			}
			got := query(t, wh, "SELECT name, type FROM system.columns WHERE database = '"+db+"' AND table = '"+n.Alias+"' ORDER BY position")
			want := "id|Int64\nname|Nullable(String)\nok|Bool\nday|Nullable(Date)\nold|Date32\nts|Nullable(DateTime)\n" +
				"ts3|Nullable(DateTime64(3))\nf|Nullable(Float64)\nn|Nullable(Int64)\nbig|UInt64"
			if got != want {
				t.Fatalf("types:\n%s\nwant\n%s", got, want)
			}
			got = query(t, wh, "SELECT * FROM "+db+"."+n.Alias+" ORDER BY id")
			want = "1|alice|true|2024-01-02|1950-06-01|2024-01-02 03:04:05|2024-01-02 03:04:05.123|1.5|NULL|18446744073709551615\n" +
				"2|b,\"ob\"|false|NULL|1969-12-31|NULL|NULL|NULL|7|1\n" +
				"3|NULL|true|2024-02-29|2000-01-01|2024-12-31 23:59:59|2024-01-02 03:04:05.100|-2000|8|2"
			if got != want {
				t.Fatalf("rows:\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestIntegrationSeedDelimiterOverridesAndReload(t *testing.T) {
	wh, db := testDB(t)
	dir := t.TempDir()
	writeSeed(t, dir, "code;zip;label\nFR;01000; spaced 'quote' \nDE;10115;\n")
	n := &manifest.Node{UniqueID: "seed.p.s", Path: "seeds/s.csv", Database: db, Alias: "places",
		Config: manifest.Config{Delimiter: ";", OrderBy: "code", ColumnTypes: map[string]string{"code": "LowCardinality(String)"}}}
	if err := loadSeed(t, wh, n, dir, "r1", wh.Capabilities()); err != nil {
		t.Fatal(err)
	}
	if got := query(t, wh, "SELECT code, toTypeName(code), zip, concat('[', label, ']') FROM "+db+".places ORDER BY code"); got !=
		"DE|LowCardinality(String)|10115|NULL\nFR|LowCardinality(String)|01000|[ spaced 'quote' ]" {
		t.Fatalf("got %q", got)
	}
	// Reloading replaces the whole table and leaves no temporary tables.
	writeSeed(t, dir, "code;zip;label\nIT;00100;Roma\n")
	if err := loadSeed(t, wh, n, dir, "r2", wh.Capabilities()); err != nil {
		t.Fatal(err)
	}
	if got := query(t, wh, "SELECT code, zip, label FROM "+db+".places"); got != "IT|00100|Roma" {
		t.Fatalf("after reload: %q", got)
	}
	if got := query(t, wh, "SELECT name FROM system.tables WHERE database = '"+db+"'"); got != "places" {
		t.Fatalf("tables: %q", got)
	}
}

func TestIntegrationSeedBadRowWritesNothing(t *testing.T) {
	wh, db := testDB(t)
	dir := t.TempDir()
	writeSeed(t, dir, "a,b\n1,x\n")
	n := &manifest.Node{UniqueID: "seed.p.s", Path: "seeds/s.csv", Database: db, Alias: "t"}
	if err := loadSeed(t, wh, n, dir, "b1", wh.Capabilities()); err != nil {
		t.Fatal(err)
	}
	writeSeed(t, dir, "a,b\n2,y\n3,z,extra\n")
	err := loadSeed(t, wh, n, dir, "b2", wh.Capabilities())
	if err == nil || err.Error() != "seeds/s.csv:3:1: wrong number of fields: got 3, the header has 2" {
		t.Fatalf("got %v", err)
	}
	if got := query(t, wh, "SELECT a, b FROM "+db+".t") + " / " + query(t, wh, "SELECT count() FROM system.tables WHERE database = '"+db+"'"); got != "1|x / 1" {
		t.Fatalf("the failed load changed the warehouse: %q", got)
	}
}

// TestIntegrationClusterSQLParses has ClickHouse 26.7 parse every statement of the seed plans for
// cluster targets, which the embedded engine cannot run (see chdbtest.Parses).
func TestIntegrationClusterSQLParses(t *testing.T) {
	wh := shared.Warehouse(t)
	schema, err := parseString(t, countriesCSV, Options{Delimiter: ';'})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range clusterCases() {
		t.Run(tc.name, func(t *testing.T) {
			for _, stmt := range planSQL(t, schema, tc.state, tc.caps) {
				chdbtest.Parses(t, wh, stmt[strings.IndexByte(stmt, '\n')+1:])
			}
		})
	}
}
