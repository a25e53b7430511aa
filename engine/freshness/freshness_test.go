package freshness

import (
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
)

func TestStatus(t *testing.T) {
	c := &manifest.Freshness{WarnAfter: &manifest.Age{Count: 1, Period: "hour"}, ErrorAfter: &manifest.Age{Count: 2, Period: "day"}}
	for _, tc := range []struct {
		age  int64
		want string
	}{{0, Pass}, {3600, Pass}, {3601, Warn}, {2 * 86400, Warn}, {2*86400 + 1, Error}} {
		if got := Status(tc.age, c); got != tc.want {
			t.Errorf("age %d: got %s, want %s", tc.age, got, tc.want)
		}
	}
	if got := Status(1e9, &manifest.Freshness{WarnAfter: c.WarnAfter}); got != Warn {
		t.Errorf("warn only: got %s", got)
	}
}

func TestQuery(t *testing.T) {
	n := &manifest.Node{Name: "orders", ResourceType: manifest.Source, Database: "raw", Alias: "orders",
		Source: &manifest.SourceInfo{SourceName: "shop", LoadedAtField: "loaded_at", Freshness: &manifest.Freshness{Filter: "shop_id = 1"}}}
	want := "SELECT toString(max(`loaded_at`)), toString(now()), dateDiff('second', max(`loaded_at`), now()), count()\nFROM `raw`.`orders`\nWHERE shop_id = 1"
	if got := Query(n); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	n.Source.LoadedAtField = "toDateTime(ts_ms / 1000)"
	n.Source.Freshness.Filter = ""
	if got := Query(n); got != "SELECT toString(max(toDateTime(ts_ms / 1000))), toString(now()), dateDiff('second', max(toDateTime(ts_ms / 1000)), now()), count()\nFROM `raw`.`orders`" {
		t.Errorf("an expression is used as written: %s", got)
	}
	if FormatAge(90061) != "1d1h1m1s" || FormatAge(0) != "0s" || FormatAge(7200) != "2h" {
		t.Errorf("FormatAge: %s %s %s", FormatAge(90061), FormatAge(0), FormatAge(7200))
	}
}
