package pii

import (
	"flag"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/internal/golden"
)

var update = flag.Bool("update", false, "rewrite golden files")

// grantCases are the server grants of the example's users history: an analyst without PII
// access, a data-protection officer with it, and a loader with INSERT; on one node and on a
// cluster.
func grantCases(t *testing.T) map[string][]string {
	n := &manifest.Node{Name: "users", Config: manifest.Config{Raw: map[string]any{
		"grants":      map[string]any{"select": []any{"analyst", "dpo"}, "insert": "loader"},
		"pii_readers": []any{"dpo"},
	}}}
	tables := []string{"`duolingo`.`users`", "`duolingo`.`users__versions`"}
	cols := map[string][]string{
		tables[0]: {"user_id", "username", "email", "country_code", "birth_date", "current_tier", "valid_from", "is_current"},
		tables[1]: {"user_id", "username", "email", "country_code", "birth_date", "current_tier", "valid_from", "is_current", "_batch"},
	}
	out := map[string][]string{}
	for name, cluster := range map[string]string{"grants_single": "", "grants_cluster": "warehouse"} {
		g, err := ReadGrants(n, []string{"birth_date", "email", "username"})
		if err != nil {
			t.Fatal(err)
		}
		g.OnClusterOf = cluster
		sql, err := g.GrantSQL(tables, cols)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = sql
	}
	return out
}

func TestGrantSQLGolden(t *testing.T) {
	for name, sql := range grantCases(t) {
		golden.Check(t, *update, name, strings.Join(sql, ";\n")+";\n")
		for _, s := range sql {
			if strings.Contains(s, "analyst") && strings.HasPrefix(strings.TrimPrefix(s, "GRANT ON CLUSTER `warehouse`"), " SELECT ON") {
				t.Errorf("the analyst got whole-table SELECT: %s", s)
			}
		}
	}
}

func TestGrantsRejectUnknownPrivilege(t *testing.T) {
	n := &manifest.Node{Name: "m", Config: manifest.Config{Raw: map[string]any{"grants": map[string]any{"selekt": "a"}}}}
	g, err := ReadGrants(n, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.GrantSQL([]string{"`d`.`m`"}, nil); err == nil || !strings.Contains(err.Error(), `"selekt"`) {
		t.Fatalf("err = %v", err)
	}
}
