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
