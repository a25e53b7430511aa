package chdb

import (
	"testing"

	"github.com/dwmhq/dwm/engine/warehouse"
)

func TestParseError(t *testing.T) {
	for _, tc := range []struct {
		text   string
		prefix int
		want   warehouse.QueryError
	}{
		{"Code: 60. DB::Exception: Unknown table expression identifier 'x' in scope SELECT * FROM x. (UNKNOWN_TABLE)", 0,
			warehouse.QueryError{Code: 60, Name: "UNKNOWN_TABLE", Message: "Unknown table expression identifier 'x' in scope SELECT * FROM x."}},
		{"Code: 62. DB::Exception: Syntax error: failed at position 27 (1): 1. Expected one of: FROM. (SYNTAX_ERROR) (version 26.7.2.1)", 20,
			warehouse.QueryError{Code: 62, Name: "SYNTAX_ERROR", Message: "Syntax error: failed at position 7 (1): 1. Expected one of: FROM."}},
		{"Invalid or closed connection", 0, warehouse.QueryError{Message: "Invalid or closed connection"}},
	} {
		got := parseError(tc.text, "SQL", tc.prefix)
		tc.want.SQL = "SQL"
		if *got != tc.want {
			t.Errorf("parseError(%q)\n got %+v\nwant %+v", tc.text, *got, tc.want)
		}
	}
}
