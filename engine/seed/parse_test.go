package seed

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dwmhq/dwm/engine/manifest"
)

func parseString(t *testing.T, data string, opts Options) (*Schema, error) {
	t.Helper()
	return Parse(fstest.MapFS{"seeds/s.csv": {Data: []byte(data)}}, "seeds/s.csv", opts)
}

func types(s *Schema) string {
	var parts []string
	for _, c := range s.Columns {
		parts = append(parts, c.Name+" "+c.Type)
	}
	return strings.Join(parts, ", ")
}

func TestInference(t *testing.T) {
	cases := []struct {
		name, csv, want string
	}{
		{"ints", "a\n1\n-2\n+3\n0\n", "a Int64"},
		{"big unsigned", "a\n1\n18446744073709551615\n", "a UInt64"},
		{"too big for any int", "a\n-1\n18446744073709551615\n", "a Float64"},
		{"int beyond uint64", "a\n99999999999999999999999\n", "a Float64"},
		{"leading zero is an identifier", "zip\n01234\n12345\n", "zip String"},
		{"floats", "a\n1\n2.5\n-1e3\n.5\n5.\n0.25\n", "a Float64"},
		{"not floats", "a\n1.5\n0x1p3\n", "a String"},
		{"inf is text", "a\n1.5\ninf\n", "a String"},
		{"bools", "a\ntrue\nFALSE\nTrue\n", "a Bool"},
		{"bool and int", "a\ntrue\n1\n", "a String"},
		{"dates", "a\n2024-01-31\n2024-02-29\n", "a Date"},
		{"invalid date", "a\n2023-02-29\n", "a String"},
		{"date before 1970", "a\n1969-12-31\n2024-01-01\n", "a Date32"},
		{"date out of Date32", "a\n1850-12-31\n", "a String"},
		{"datetimes", "a\n2024-01-02 03:04:05\n2024-12-31 23:59:59\n", "a DateTime"},
		{"datetime64", "a\n2024-01-02 03:04:05\n2024-01-02 03:04:05.5\n", "a DateTime64(3)"},
		{"datetime64 micro", "a\n2024-01-02 03:04:05.123456\n", "a DateTime64(6)"},
		{"datetime64 before 1970", "a\n1950-01-02 03:04:05\n", "a DateTime64(3)"},
		{"bad time", "a\n2024-01-02 24:00:00\n", "a String"},
		{"date and datetime mixed", "a\n2024-01-02\n2024-01-02 03:04:05\n", "a String"},
		{"nulls", "a,b,c\n1,,x\n,true,\n", "a Nullable(Int64), b Nullable(Bool), c Nullable(String)"},
		{"backslash N is NULL", "a\n1\n\\N\n", "a Nullable(Int64)"},
		{"all empty", "a\n\n\"\"\n", "a Nullable(String)"},
		{"header only", "a,b\n", "a String, b String"},
		{"quoted numbers are numbers", "a\n\"1\"\n", "a Int64"},
		{"spaces are text", "a\n 1\n", "a String"},
		{"strings", "a\nx\n1\n", "a String"},
		{"crlf and bom", "\xef\xbb\xbfa,b\r\n1,x\r\n", "a Int64, b String"},
		{"multiline quoted", "a,b\n\"line1\nline2\",2\n", "a String, b Int64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parseString(t, tc.csv, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := types(s); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestParseCountsRowsAndDelimiter(t *testing.T) {
	opts, err := OptionsFrom(manifest.Config{Delimiter: ";"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseString(t, "id;name\n1;a,b\n2;c\n", opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 2 || s.Delimiter != ';' || types(s) != "id Int64, name String" {
		t.Fatalf("got rows=%d delim=%q %s", s.Rows, s.Delimiter, types(s))
	}
	if s.Structure() != "`id` Int64, `name` String" {
		t.Fatalf("Structure() = %s", s.Structure())
	}
	for _, bad := range []string{";;", `"`, "\n", "é"} {
		if _, err := OptionsFrom(manifest.Config{Delimiter: bad}); err == nil {
			t.Errorf("delimiter %q accepted", bad)
		}
	}
}

func TestOverrides(t *testing.T) {
	s, err := parseString(t, "id,code,n\n1,007,\n2,042,3\n", Options{ColumnTypes: map[string]string{"id": "UInt8", "n": "Nullable(Int32)", "code": "LowCardinality(String)"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := types(s); got != "id UInt8, code LowCardinality(String), n Nullable(Int32)" {
		t.Fatal(got)
	}
	if _, err := parseString(t, "a\n1\n", Options{ColumnTypes: map[string]string{"b": "Int64"}}); err == nil ||
		err.Error() != `seed seeds/s.csv: column_types names column "b", which is not in the header (a)` {
		t.Fatalf("got %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, csv string
		types     map[string]string
		want      string
	}{
		{"empty file", "", nil, "seeds/s.csv:1:1: empty file: a seed needs a header row"},
		{"too many fields", "a,b\n1,2\n3,4,5\n", nil, "seeds/s.csv:3:1: wrong number of fields: got 3, the header has 2"},
		{"too few fields", "a,b\n1,2\n3\n", nil, "seeds/s.csv:3:1: wrong number of fields: got 1, the header has 2"},
		{"bare quote", "a,b\n1,x\"y\n", nil, "seeds/s.csv:2:4: bare \" in an unquoted field"},
		{"unterminated quote", "a,b\n1,\"xy\n2,3\n", nil, "seeds/s.csv:3:5: quoted field is never closed (the record starts on line 2)"},
		{"junk after quote", "a,b\n1,\"x\"y\n", nil, "seeds/s.csv:2:5: extraneous or missing \" in a quoted field"},
		{"empty header name", "a,,c\n", nil, "seeds/s.csv:1:3: column 2 has an empty name"},
		{"duplicate header", "a,b,a\n", nil, "seeds/s.csv:1:5: duplicate column name \"a\""},
		{"override contradicted", "a,b\n1,2\n3,x4\n", map[string]string{"b": "Int64"}, "seeds/s.csv:3:3: column \"b\": value \"x4\" is not a valid Int64 (from column_types)"},
		{"override out of range", "a\n1\n300\n", map[string]string{"a": "UInt8"}, "seeds/s.csv:3:1: column \"a\": value \"300\" is not a valid UInt8"},
		{"override not nullable", "a,b\n1,\n", map[string]string{"b": "Date"}, "seeds/s.csv:2:3: column \"b\": empty value, but column_types makes the column Date (use Nullable(Date) to allow it)"},
		{"override bad date", "a\n2024-13-01\n", map[string]string{"a": "Nullable(Date)"}, "seeds/s.csv:2:1: column \"a\": value \"2024-13-01\" is not a valid Nullable(Date)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseString(t, tc.csv, Options{ColumnTypes: tc.types})
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError", err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got  %s\nwant %s...", err, tc.want)
			}
		})
	}
}
