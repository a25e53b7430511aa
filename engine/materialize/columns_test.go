package materialize

import "testing"

func TestColumnsFromSQL(t *testing.T) {
	r := Default()
	for name, want := range map[string]bool{"view": true, "table": true, "incremental": true, "ephemeral": false, "nosuch": false} {
		if got := r.ColumnsFromSQL(name); got != want {
			t.Errorf("ColumnsFromSQL(%q) = %v, want %v", name, got, want)
		}
	}
}
