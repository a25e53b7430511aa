package sink

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

func usersTable(t *testing.T) table {
	t.Helper()
	for _, tb := range tables {
		if tb.name == "users" {
			return tb
		}
	}
	t.Fatal("no users table")
	return table{}
}

const usersCSV = "op,user_id,username,email,country_code,region,gender,birth_date,subscription_tier,signup_date,current_tier,is_deleted,cdc_timestamp\n" +
	"INSERT,1,ann,a@x,DE,Berlin,female,1990-01-02,free,2025-01-01,1,false,2026-01-05 00:00:00\n" +
	"DELETE,1,,,DE,Berlin,female,,free,2025-01-01,1,true,2026-01-06 10:00:00\n"

func TestShapePeerDB(t *testing.T) {
	header, rows := parse(t, usersCSV)
	cols, recs, err := shape(PeerDB, usersTable(t), 1, start.AddDate(0, 0, 7), header, rows)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cols); n != 15 || cols[12].Name != "_peerdb_synced_at" || cols[14].Name != "_peerdb_version" {
		t.Fatalf("columns %v", cols)
	}
	want := [][]string{
		{"1", "ann", "a@x", "DE", "Berlin", "female", "1990-01-02", "free", "2025-01-01", "1", "false", "2026-01-05 00:00:00",
			"2026-01-12 00:00:00.000000000", "0", "1768176000000000000"},
		{"1", "", "", "DE", "Berlin", "female", "", "free", "2025-01-01", "1", "true", "2026-01-06 10:00:00",
			"2026-01-12 00:00:00.000000001", "1", "1768176000000000001"},
	}
	if !reflect.DeepEqual(recs, want) {
		t.Errorf("rows =\n%q\nwant\n%q", recs, want)
	}
}

func TestShapeDebezium(t *testing.T) {
	header, rows := parse(t, usersCSV)
	_, recs, err := shape(Debezium, usersTable(t), 2, start.AddDate(0, 0, 14), header, rows)
	if err != nil {
		t.Fatal(err)
	}
	got := [][]string{recs[0][12:], recs[1][12:]}
	want := [][]string{
		{"c", "1767571200000", "1768780800000", "false", "duolingo.public.users", "0", "2000000000", "2026-01-19 00:00:00.000"},
		{"d", "1767693600000", "1768780800000", "true", "duolingo.public.users", "0", "2000000001", "2026-01-19 00:00:00.000"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tool columns =\n%q\nwant\n%q", got, want)
	}
	// The reference data is Debezium's initial snapshot.
	_, recs, _ = shape(Debezium, usersTable(t), 0, start, header, rows[:1])
	if recs[0][12] != "r" {
		t.Errorf("week 0 op = %s, want r", recs[0][12])
	}
	if _, _, err := shape(Debezium, usersTable(t), 1, start, header, [][]string{append([]string{"UPSERT"}, rows[0][1:]...)}); err == nil ||
		!strings.Contains(err.Error(), `op "UPSERT"`) {
		t.Errorf("unknown op: %v", err)
	}
}

// TestWriteThroughExec: the embedded engine's path gets the DDL and CSV inserts, the reference
// data only with the weeks asked for.
func TestWriteThroughExec(t *testing.T) {
	out := t.TempDir()
	for dir, body := range map[string]string{"w000/ligue_tiers.csv": "op,tier_id,tier_name,promotion_slots,relegation_slots,cdc_timestamp\nINSERT,1,Bronze,5,0,2026-01-04 00:00:00\n",
		"w001/users.csv": usersCSV} {
		p := filepath.Join(out, dir)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stmts []string
	conn := ExecConn(func(_ context.Context, sql string) error { stmts = append(stmts, sql); return nil })
	got, err := Write(context.Background(), conn, Options{Format: PeerDB, Out: out, Weeks: []int{1}, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, Delivered{"users": 2}) {
		t.Errorf("delivered %v", got)
	}
	last := stmts[len(stmts)-1]
	if !strings.HasPrefix(last, "INSERT INTO `peerdb`.`users` (`user_id`, ") || !strings.Contains(last, ") FORMAT CSV\n1,ann,a@x,DE,") {
		t.Errorf("insert =\n%s", last)
	}
	if !strings.Contains(strings.Join(stmts, "\n"), "CREATE TABLE IF NOT EXISTS `peerdb`.`users` (`user_id` UInt64,") {
		t.Errorf("statements:\n%s", strings.Join(stmts, "\n"))
	}
}

func parse(t *testing.T, s string) ([]string, [][]string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.csv")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	h, rows, err := readCSV(p)
	if err != nil {
		t.Fatal(err)
	}
	return h, rows
}
