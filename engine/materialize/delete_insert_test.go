package materialize

import (
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// TestIntegrationDeleteInsertFinishesAKilledInsert: a delete+insert run killed after its DELETE,
// or half-way through an INSERT of many blocks (some of the new rows in, the rest not), leaves
// its complete ready table. The model's next run must first delete and insert again from it,
// whatever it does next: a plain run with new rows, a run after the strategy became append, and
// a full refresh killed right after it dropped the leftover temporaries (the ready table among
// them). Without the redo the cleanup dropped the ready table, and the rows the kill kept out
// stayed out (a model whose filter reads its own table takes the half-inserted rows as done).
func TestIntegrationDeleteInsertFinishesAKilledInsert(t *testing.T) {
	whole := "2024-01-01 old\n2024-01-02 new\n2024-01-03 new\n2024-01-04 new"
	next := "SELECT toDate('2024-01-05') AS day, 'next' AS v"
	kills := map[string]string{
		"after the DELETE":           "",
		"halfway through the INSERT": " SELECT toDate('2024-01-02') AS day, 'new' AS v",
	}
	for kill, inserted := range kills {
		for _, c := range []struct {
			name  string
			next  func(t *testing.T, wh warehouse.Warehouse, n *manifest.Node)
			after string
		}{
			{"the next run", func(t *testing.T, wh warehouse.Warehouse, n *manifest.Node) {
				mustBuild(t, wh, n, next, "p3")
			}, whole + "\n2024-01-05 next"},
			{"a run after the strategy became append", func(t *testing.T, wh warehouse.Warehouse, n *manifest.Node) {
				n.Config.IncrementalStrategy = StrategyAppend
				mustBuild(t, wh, n, next, "p3")
			}, whole + "\n2024-01-05 next"},
			{"a full refresh killed after its cleanup", func(t *testing.T, wh warehouse.Warehouse, n *manifest.Node) {
				fullRefreshKilledAfterCleanup(t, wh, n, next)
			}, whole},
		} {
			t.Run(kill+" then "+c.name, func(t *testing.T) {
				wh, db := testDB(t)
				n := modelIn(db, "daily", "incremental", func(c *manifest.Config) {
					c.IncrementalStrategy = StrategyDeleteInsert
					c.UniqueKey = []string{"day"}
					c.OrderBy = "day"
				})
				mustBuild(t, wh, n, "SELECT toDate('2024-01-01') + number AS day, 'old' AS v FROM numbers(3)", "p1")
				// The killed run: its ready table holds the new rows of days 2 to 4, the DELETE
				// removed days 2 and 3, and the INSERT put in none or some of the new rows.
				ready := db + "." + readyRelation(Target(n)).Name
				exec(t, wh, "CREATE TABLE "+ready+" AS "+db+".daily")
				exec(t, wh, "INSERT INTO "+ready+" SELECT toDate('2024-01-02') + number AS day, 'new' AS v FROM numbers(3)")
				exec(t, wh, "ALTER TABLE "+db+".daily DELETE WHERE day IN (SELECT day FROM "+ready+") SETTINGS mutations_sync = 2")
				if inserted != "" {
					exec(t, wh, "INSERT INTO "+db+".daily"+inserted)
				}
				days := "SELECT day, v FROM " + db + ".daily ORDER BY day, v"
				c.next(t, wh, n)
				if got := strings.ReplaceAll(rows(t, wh, days), "|", " "); got != c.after {
					t.Fatalf("got %q, want %q", got, c.after)
				}
				if got := tablesIn(t, wh, db); got != "daily" {
					t.Fatalf("tables left: %q", got)
				}
			})
		}
	}
}
