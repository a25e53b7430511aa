package materialize

import (
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbtest"
)

// TestIntegrationClusterSQLParses has ClickHouse 26.7 (the embedded engine) parse every statement
// the cluster layouts generate, expanded statements and the CDC helpers included. The embedded
// engine cannot run them (no Keeper, no other nodes), so this is what is proven about them beyond
// the golden files: the syntax, the ON CLUSTER placement and the setting names.
func TestIntegrationClusterSQLParses(t *testing.T) {
	wh := shared.Warehouse(t)
	reg := Default()
	for _, tc := range clusterCases() {
		t.Run(tc.name, func(t *testing.T) {
			steps, err := reg.Plan(Input{Node: tc.node, SQL: modelSQL, State: tc.state, Caps: tc.caps, Suffix: "run1",
				FullRefresh: strings.Contains(tc.name, "full_refresh")})
			if err != nil {
				t.Fatal(err)
			}
			for _, sql := range planStatements(t, steps) {
				chdbtest.Parses(t, wh, sql)
			}
		})
	}
	for _, caps := range []warehouse.Capabilities{replicated, sharded, replicatedDB} {
		for _, sql := range helperStatements(t, caps) {
			chdbtest.Parses(t, wh, sql)
		}
	}
}

// planStatements lists the SQL of steps, with each expanding step's statements for a sample
// result, as render shows them.
func planStatements(t *testing.T, steps []Step) []string {
	t.Helper()
	var out []string
	for _, s := range steps {
		out = append(out, s.SQL)
		if s.Expand != nil {
			more, err := s.Expand(sampleResult(s.SQL))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, more...)
		}
	}
	return out
}
