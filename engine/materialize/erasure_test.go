package materialize

import "testing"

// TestBlankErased: only the personal-data columns the input has are blanked, for the keys of
// every subject whose key column the input has; one setup per subject used; nothing applies,
// nothing changes.
func TestBlankErased(t *testing.T) {
	have := map[string]bool{"user_id": true, "username": true, "email": true}
	has := func(c string) bool { return have[c] }
	es := []Erasure{
		{Key: "user_id", Columns: []string{"username", "email", "device_id"}, Keys: "(K1)", Setup: "S1"},
		{Key: "org_id", Columns: []string{"username"}, Keys: "(K2)", Setup: "S2"}, // no org_id in the input
	}
	sql, setup := BlankErased("SELECT 1", has, es)
	want := "SELECT * REPLACE (if(toString(`user_id`) IN (K1), defaultValueOfArgumentType(`username`), `username`) AS `username`, " +
		"if(toString(`user_id`) IN (K1), defaultValueOfArgumentType(`email`), `email`) AS `email`) FROM (\nSELECT 1\n)"
	if sql != want || len(setup) != 1 || setup[0] != "S1" {
		t.Errorf("got %q, %q\nwant %q, [S1]", sql, setup, want)
	}
	if sql, setup := BlankErased("SELECT 1", func(c string) bool { return c == "user_id" }, es); sql != "SELECT 1" || setup != nil {
		t.Errorf("no personal column in the input: got %q, %q", sql, setup)
	}
}
