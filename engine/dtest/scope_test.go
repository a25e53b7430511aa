package dtest

import (
	"testing"

	"github.com/dwmhq/dwm/engine/dtest/generic"
	"github.com/dwmhq/dwm/engine/materialize"
)

// TestBatchScopeModel pins the relation a batch-scoped test reads: the new batches, and for a key
// test the earlier rows that may hold a new key: by hash for unique, by the exact tuple otherwise,
// and when the key is the fact's unique_key, within the scopes of the new rows and looking up
// only the new keys of the scopes earlier rows hold.
func TestBatchScopeModel(t *testing.T) {
	def := func(name string) *generic.Def { d, _ := generic.Lookup(name); return d }
	fact := materialize.Batch{Column: "_load_seq", Key: []string{"event_id"}, Scope: "event_date"}
	added := "SELECT * FROM `db`.`t` WHERE `_load_seq` > 3 AND `_load_seq` <= 5"
	// The earlier rows in a scope of the new rows; their scopes narrow the new keys looked up.
	older := "SELECT * FROM `db`.`t` WHERE `_load_seq` <= 3 AND `event_date` IN (SELECT DISTINCT `event_date` FROM (" + added + "))"
	cases := []struct {
		name  string
		batch materialize.Batch
		def   *generic.Def
		key   []string
		where string
		want  string
	}{
		{"row test", fact, def("not_null"), nil, "", "(" + added + ")"},
		{"row test with where", fact, def("accepted_values"), nil, "x > 1",
			"(SELECT * FROM `db`.`t` WHERE `_load_seq` > 3 AND `_load_seq` <= 5 AND (x > 1))"},
		{"unique on the fact key", fact, def("unique"), []string{"event_id"}, "",
			"(" + added + " UNION ALL " + older + " AND cityHash64(`event_id`) IN (SELECT cityHash64(`event_id`) FROM (" + added +
				") WHERE `event_date` IN (SELECT DISTINCT `event_date` FROM (" + older + "))))"},
		{"unique on another column", fact, def("unique"), []string{"user_id"}, "",
			"(" + added + " UNION ALL SELECT * FROM `db`.`t` WHERE `_load_seq` <= 3 AND cityHash64(`user_id`) IN (SELECT cityHash64(`user_id`) FROM (" + added + ")))"},
		{"combination", fact, def("unique_combination_of_columns"), []string{"a", "b"}, "",
			"(" + added + " UNION ALL SELECT * FROM `db`.`t` WHERE `_load_seq` <= 3 AND cityHash64(tuple(`a`, `b`)) IN (SELECT cityHash64(tuple(`a`, `b`)) FROM (" + added + ")))"},
		// one column of a combination still keeps NULL as a value: hashed as a tuple
		{"combination of one column", fact, def("unique_combination"), []string{"a"}, "",
			"(" + added + " UNION ALL SELECT * FROM `db`.`t` WHERE `_load_seq` <= 3 AND cityHash64(tuple(`a`)) IN (SELECT cityHash64(tuple(`a`)) FROM (" + added + ")))"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := &batchScope{batch: c.batch, rel: "`db`.`t`", from: 3, to: 5}
			if got := sc.model(c.where, c.def, c.key); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}
