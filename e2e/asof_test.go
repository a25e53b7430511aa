package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAsOfEdges checks the project's point-in-time macros (macros/as_of.sql) on real chDB against
// a tiny SCD2 history with known versions: key 1 is a from 01-05, b from 01-12 (open); key 2 is
// x from 01-12 and deleted at 01-19. Each instant sits on an edge of valid_from <= t < valid_to.
func TestAsOfEdges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	macros, err := os.ReadFile(filepath.Join(repoRoot(t), "macros", "as_of.sql"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"project.yml":      "name: pit\ntarget: dev\ntargets:\n  dev: {type: chdb, path: .dwm/dev, database: pit}\n",
		"macros/as_of.sql": string(macros),
		"models/stg.sql":   "{{ config \"materialized\" \"staging\" \"files\" \"cdc/*.csv\" }}\n",
		"models/hist.sql":  "{{ config \"materialized\" \"scd2\" \"unique_key\" \"k\" }}\nSELECT * FROM {{ ref \"stg\" }}\n",
		"models/stg.yml": `models:
  - name: stg
    columns:
      - {name: op, data_type: String}
      - {name: k, data_type: UInt8}
      - {name: v, data_type: String}
      - {name: cdc_timestamp, data_type: DateTime}
`,
		"cdc/w1.csv": "op,k,v,cdc_timestamp\nINSERT,1,a,2026-01-05 00:00:00\nUPDATE,1,b,2026-01-12 00:00:00\nINSERT,2,x,2026-01-12 00:00:00\nDELETE,2,x,2026-01-19 00:00:00\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustDwm(t, dir, "build")

	// One row per (instant, key) valid then: literal instants through as_of, and the same instants
	// as a column through valid_at in a join, which must agree.
	instants := []string{"2026-01-04 23:59:59", "2026-01-05", "2026-01-11 23:59:59", "2026-01-12 00:00:00", "2026-01-19", "2099-12-31 23:59:59"}
	var parts []string
	for _, at := range instants {
		parts = append(parts, `SELECT '`+at+`' AS t, k, v, is_active FROM {{ macro "as_of" (ref "hist") "`+at+`" }}`)
	}
	sql := `SELECT * FROM (
SELECT 'literal' AS how, * FROM (` + strings.Join(parts, " UNION ALL ") + `)
UNION ALL
SELECT 'column', i.t, h.k, h.v, h.is_active
FROM (SELECT arrayJoin(['` + strings.Join(instants, "','") + `']) AS t, arrayJoin([1, 2]) AS k) AS i
JOIN {{ ref "hist" }} AS h ON h.k = i.k AND {{ macro "valid_at" "h" "toDateTime(i.t)" }}
) ORDER BY how, t, k`
	got := mustDwm(t, dir, "show", "--inline", sql, "--output", "csv", "--limit", "100").stdout
	want := `2026-01-05,1,a,true
2026-01-11 23:59:59,1,a,true
2026-01-12 00:00:00,1,b,true
2026-01-12 00:00:00,2,x,true
2026-01-19,1,b,true
2026-01-19,2,x,false
2099-12-31 23:59:59,1,b,true
2099-12-31 23:59:59,2,x,false
`
	var wantAll []string
	for _, how := range []string{"column", "literal"} {
		for _, l := range strings.Split(strings.TrimSpace(want), "\n") {
			wantAll = append(wantAll, how+","+l)
		}
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) > 0 && strings.HasPrefix(lines[0], "how") {
		lines = lines[1:]
	}
	if g, w := strings.Join(lines, "\n"), strings.Join(wantAll, "\n"); g != w {
		t.Fatalf("versions valid at each instant:\ngot\n%s\nwant\n%s", g, w)
	}
}

// TestTierNameAsOfWeek renames a tier between two simulated weeks (a ligue_tiers UPDATE delivered
// with week 2) and checks that the league summary and fct_user_week name each week's tier as it was
// that week: joining the current tier name would show the new name for week 1 too.
func TestTierNameAsOfWeek(t *testing.T) {
	t.Parallel()
	dir := copyProject(t)
	cdc := filepath.Join(dir, "data", "cdc")
	mustDwm(t, dir, "generate", "--weeks", "2", "--initial-users", "60", "--weekly-signups", "10", "--out", cdc, "-q")
	rename := "op,tier_id,tier_name,promotion_slots,relegation_slots,cdc_timestamp\nUPDATE,1,Copper,5,0,2026-01-11 23:59:59\n"
	if err := os.WriteFile(filepath.Join(cdc, "w002", "ligue_tiers.csv"), []byte(rename), 0o644); err != nil {
		t.Fatal(err)
	}
	mustDwm(t, dir, "run", "--select", "+mart_weekly_league_summary +fct_user_week")
	// ClickHouse binds a trailing ORDER BY to the last SELECT of a UNION ALL, so the union is wrapped.
	sql := `SELECT * FROM (
SELECT 'summary' AS src, week_start_date, tier_name FROM {{ ref "mart_weekly_league_summary" }} WHERE tier_id = 1
UNION ALL
SELECT DISTINCT 'user_week', week_start_date, tier_name FROM {{ ref "fct_user_week" }} WHERE tier_id = 1
) ORDER BY src, week_start_date`
	got := strings.TrimSpace(mustDwm(t, dir, "show", "--inline", sql, "--output", "csv").stdout)
	lines := strings.Split(got, "\n")[1:] // the header
	want := []string{"summary,2026-01-05,Bronze", "summary,2026-01-12,Copper", "user_week,2026-01-05,Bronze", "user_week,2026-01-12,Copper"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("tier 1's name per week:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}
