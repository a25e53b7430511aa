package pii

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

var shared chdbtest.Shared

func TestMain(m *testing.M) { os.Exit(shared.Run(m, chdb.Options{})) }

// fixture is a small project: users_staging tags three columns, users (the subject, an scd2
// history) inherits them, events tags device_id, and the mart has none.
func fixture(db string) *manifest.Manifest {
	col := func(name string, pii any) manifest.Column {
		c := manifest.Column{Name: name}
		if pii != nil {
			c.Meta = map[string]any{"pii": pii}
		}
		return c
	}
	node := func(name, mat string, deps []string, cols ...manifest.Column) *manifest.Node {
		return &manifest.Node{UniqueID: "model.p." + name, Name: name, ResourceType: manifest.Model, Database: db, Alias: name,
			DependsOn: deps, Columns: cols, Config: manifest.Config{Materialized: mat}}
	}
	m := &manifest.Manifest{Project: "p", Nodes: map[string]*manifest.Node{}}
	for _, n := range []*manifest.Node{
		node("users_staging", "staging", nil, col("user_id", nil), col("username", true), col("email", true), col("birth_date", "true"), col("tier", nil)),
		node("users", "scd2", []string{"model.p.users_staging"}, col("user_id", nil), col("username", nil), col("email", nil), col("birth_date", false), col("tier", nil)),
		node("events", "fact", nil, col("user_id", nil), col("device_id", true), col("payload", nil)),
		node("mart", "table", []string{"model.p.users", "model.p.events"}, col("user_id", nil), col("tier", nil)),
	} {
		m.Nodes[n.UniqueID] = n
	}
	m.Nodes["model.p.users"].Meta = map[string]any{"pii_subject": true}
	m.Nodes["model.p.users"].Config.UniqueKey = []string{"user_id"}
	return m
}

func TestReadTags(t *testing.T) {
	tags, err := Read(fixture("d"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for model, cols := range tags.Columns {
		var parts []string
		for _, c := range cols {
			parts = append(parts, c.Name+"<"+c.From)
		}
		got[model] = strings.Join(parts, " ")
	}
	want := map[string]string{
		"users_staging": "username<users_staging email<users_staging birth_date<users_staging",
		// birth_date says pii: false on users, which overrides the inherited tag.
		"users":  "username<users_staging email<users_staging",
		"events": "device_id<events",
	}
	if len(got) != len(want) {
		t.Fatalf("tags = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	s, ok := tags.Subject("users")
	if !ok || s.Key != "user_id" || s.ErasedWhen != "NOT is_active" {
		t.Fatalf("subject = %+v %v", s, ok)
	}
}

func TestEraserScrubsEveryTableOfTheSubjectOnly(t *testing.T) {
	wh, db := shared.Database(t, "pii")
	ctx := context.Background()
	q := manifest.QuoteIdent(db) + "."
	for _, s := range []string{
		"CREATE TABLE " + q + "users_staging (user_id UInt64, username String, email String, birth_date Nullable(Date32), tier UInt8) ENGINE = MergeTree ORDER BY user_id",
		"INSERT INTO " + q + "users_staging VALUES (1, 'alice', 'alice@x.io', '1990-01-02', 3), (1, 'alice2', 'alice2@x.io', '1990-01-02', 4), (2, 'bob', 'bob@x.io', '1985-05-05', 1)",
		// A quarantine keeps every field as text, the key too.
		"CREATE TABLE " + q + "users_staging__quarantine (user_id String, username String, email String, birth_date String, reason String) ENGINE = MergeTree ORDER BY tuple()",
		"INSERT INTO " + q + "users_staging__quarantine VALUES ('1', 'alice', 'alice@x.io', '3000-99-99', 'bad date')",
		"CREATE TABLE " + q + "events (user_id UInt64, device_id String, payload String) ENGINE = MergeTree ORDER BY tuple()",
		"INSERT INTO " + q + "events VALUES (1, 'dev-a', '{}'), (2, 'dev-b', '{}')",
		"CREATE VIEW " + q + "users AS SELECT * FROM " + q + "users_staging",
	} {
		chdbtest.Exec(t, wh, s)
	}
	m := fixture(db)
	tags, err := Read(m)
	if err != nil {
		t.Fatal(err)
	}
	e := &Eraser{WH: wh, Manifest: m, Tags: tags}
	before, err := e.Targets(ctx, []string{"users_staging"})
	if err != nil || len(before) != 0 {
		t.Fatalf("targets before any erasure (no log yet) = %v, %v", before, err)
	}
	added, done, err := e.Request(ctx, "users", []string{"1", "1"})
	if err != nil || added != 1 {
		t.Fatalf("request: added %d, %v", added, err)
	}
	if len(done) != 3 {
		t.Fatalf("scrubbed %+v, want users_staging, its quarantine and events", done)
	}
	all := chdbtest.Rows(t, wh, "SELECT user_id, username, email, birth_date, tier FROM "+q+"users_staging ORDER BY user_id, tier", "|") + "\n" +
		chdbtest.Rows(t, wh, "SELECT * FROM "+q+"users_staging__quarantine", "|") + "\n" +
		chdbtest.Rows(t, wh, "SELECT * FROM "+q+"events ORDER BY user_id", "|")
	want := "1|||NULL|3\n1|||NULL|4\n2|bob|bob@x.io|1985-05-05|1\n" + "1||||bad date\n" + "1||{}\n2|dev-b|{}"
	if all != want {
		t.Fatalf("after erasing user 1:\n%s\nwant:\n%s", all, want)
	}
	for _, target := range mustTargets(t, e, "users_staging", "events") {
		if got := chdbtest.Rows(t, wh, target.FailingSQL(), "|"); got != "" {
			t.Errorf("pii_erased finds %q in %s", got, target.Table)
		}
	}
	// Personal data put back (a late delivery) is found by the test's query and scrubbed again.
	chdbtest.Exec(t, wh, "INSERT INTO "+q+"events VALUES (1, 'dev-late', '{}')")
	var failing []string
	for _, target := range mustTargets(t, e, "events") {
		failing = append(failing, chdbtest.Rows(t, wh, target.FailingSQL(), "|"))
	}
	if strings.Join(failing, "") != "`"+db+"`.`events`|1" {
		t.Fatalf("pii_erased after a late row: %q", failing)
	}
	if done, err := e.AfterBuild(ctx, "events"); err != nil || len(done) != 1 || done[0].Rows != 1 {
		t.Fatalf("after build of events: %+v %v", done, err)
	}
	// Again: nothing to do.
	added, done, err = e.Request(ctx, "users", []string{"1"})
	if err != nil || added != 0 || len(done) != 0 {
		t.Fatalf("second request: added %d, scrubbed %+v, %v", added, done, err)
	}
	log := chdbtest.Rows(t, wh, "SELECT * FROM "+q+LogTable+" ORDER BY event, relation", "|")
	for _, v := range []string{"alice", "dev-", "1990"} {
		if strings.Contains(log, v) {
			t.Fatalf("the erasure log holds personal data %q:\n%s", v, log)
		}
	}
	if !strings.Contains(log, "users|1|erase|request|") || strings.Count(log, "|scrubbed|") != 4 {
		t.Fatalf("log:\n%s", log)
	}
}

func mustTargets(t *testing.T, e *Eraser, models ...string) []Target {
	t.Helper()
	ts, err := e.Targets(context.Background(), models)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestGrantsParse has ClickHouse parse the golden grant statements (a server target runs them;
// the embedded engine's users come from its configuration and cannot be granted to).
func TestGrantsParse(t *testing.T) {
	wh := shared.Warehouse(t)
	for _, sql := range grantCases(t) {
		for _, s := range sql {
			chdbtest.Parses(t, wh, s)
		}
	}
}

func TestAnnotateMarksInheritedColumnsAndLeavesTheManifest(t *testing.T) {
	m := fixture("d")
	tags, err := Read(m)
	if err != nil {
		t.Fatal(err)
	}
	a := Annotate(m, tags)
	u := a.Nodes["model.p.users"].Columns
	if u[1].Meta["pii"] != true || u[1].Meta["pii_from"] != "users_staging" || u[3].Meta["pii"] != false {
		t.Fatalf("annotated users columns: %+v", u)
	}
	if m.Nodes["model.p.users"].Columns[1].Meta != nil {
		t.Fatal("Annotate changed the manifest it was given")
	}
}

// TestErasedKeyForms: for every key type Target compares in its own type, a logged text matches
// exactly the keys whose text it is (what toString(key) IN keys matches), however odd the text:
// leading zeros, signs, spaces, decimals, exponents, hex, out of range, another alphabet's digits.
func TestErasedKeyForms(t *testing.T) {
	wh := shared.Warehouse(t)
	texts := []string{"5", "abc", "-1", "7.0", "05", "3", "+4", " 6", "8 ", "1e1", "0x2", "127", "128", "255", "256", "-128", "-129",
		"65535", "4294967295", "4294967296", "18446744073709551615", "18446744073709551616", "9223372036854775807", "-9223372036854775808",
		"-0", "９", "", "A", "a"}
	var quoted []string
	for _, s := range texts {
		quoted = append(quoted, manifest.QuoteString(s))
	}
	keys := "(SELECT arrayJoin([" + strings.Join(quoted, ", ") + "]))"
	for _, typ := range []string{"UInt8", "UInt16", "UInt32", "UInt64", "Int8", "Int16", "Int32", "Int64", "String", "LowCardinality(String)"} {
		if !nativeKey(typ) {
			t.Fatalf("%s is not compared in its own type", typ)
		}
		// Every text that parses as the type, plus the extremes, as values of the type.
		values := "SELECT DISTINCT v FROM (SELECT accurateCastOrNull(arrayJoin([" + strings.Join(quoted, ", ") + "]), '" + typ + "') AS v " +
			"UNION ALL SELECT accurateCastOrNull(toString(number), '" + typ + "') FROM numbers(300)) WHERE v IS NOT NULL"
		if typ == "LowCardinality(String)" { // cannot be inside Nullable
			values = "SELECT DISTINCT toLowCardinality(x) AS v FROM (SELECT arrayJoin([" + strings.Join(quoted, ", ") + "]) AS x " +
				"UNION ALL SELECT toString(number) FROM numbers(300))"
		}
		q := "SELECT (SELECT arraySort(groupArray(toString(v))) FROM (" + values + ") WHERE assumeNotNull(v) IN " + keys + "), " +
			"(SELECT arraySort(groupArray(toString(v))) FROM (" + values + ") WHERE toString(assumeNotNull(v)) IN " + keys + ")"
		res, err := wh.Query(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if native, text := res.String(0, 0), res.String(0, 1); native != text || text == "[]" {
			t.Fatalf("%s keys: in their own type %s match, as text %s", typ, native, text)
		}
	}
	for _, typ := range []string{"UUID", "Date", "Nullable(UInt64)", "Float64", "DateTime"} {
		if nativeKey(typ) {
			t.Fatalf("%s keys are compared in their own type", typ)
		}
	}
}
