package chdb

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestUnescapeTSV(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:             "plain",
		`a\tb\nc\\d\'e"f`:   "a\tb\nc\\d'e\"f",
		`\0\b\f\r\a\v\e`:    "\x00\b\f\r\a\v\x1b",
		`trailing\`:         `trailing\`,
		`['x\\ty','q\\'z']`: `['x\ty','q\'z']`,
		`\N`:                "N", // only a whole field \N is NULL; decodeTSV checks that first
	} {
		if got := unescapeTSV(in); got != want {
			t.Errorf("unescapeTSV(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeTSV(t *testing.T) {
	cols, rows, err := decodeTSV("a\tb\nString\tNullable(String)\nx\\ty\t\\N\n\t\\\\N\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 2 || cols[1].Type != "Nullable(String)" {
		t.Fatalf("cols = %v", cols)
	}
	want := [][]any{{"x\ty", nil}, {"", `\N`}}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("rows = %#v, want %#v", rows, want)
	}
	// Composite values are printed verbatim: their quoted form carries its own escapes.
	_, rows, err = decodeTSV("a\tm\nArray(String)\tMap(String, String)\n['x\\ty']\t{'k':'\\''}\n")
	if err != nil || rows[0][0] != `['x\ty']` || rows[0][1] != `{'k':'\''}` {
		t.Fatalf("composite rows = %#v, %v", rows, err)
	}
	for _, bad := range []string{"a\n", "a\tb\nX\n", "a\tb\nX\tY\n1\n", "a\nX\n1\t2\n"} {
		if _, _, err := decodeTSV(bad); err == nil {
			t.Errorf("decodeTSV(%q) succeeded", bad)
		}
	}
}

// Every value comes back as ClickHouse's own text form, NULL as nil.
func TestResultDecodingOnEngine(t *testing.T) {
	w := openTest(t, Options{})
	cases := []struct {
		expr, typ string
		want      any
	}{
		{`'a\tb\nc\\d''e"f'`, "String", "a\tb\nc\\d'e\"f"},
		{`''`, "String", ""},
		{`'\\N'`, "String", `\N`},
		{`'émoji 😀'`, "String", "émoji 😀"},
		{`'\0\x01'`, "String", "\x00\x01"},
		{`'a\tb'::FixedString(4)`, "FixedString(4)", "a\tb\x00"},
		{`CAST('a\tb', 'Enum8(\'a\tb\' = 1)')`, `Enum8('a\tb' = 1)`, "a\tb"},
		{`'x\ty'::Variant(String, UInt64)`, "Variant(String, UInt64)", "x\ty"},
		{`'{"a":"x\\ty"}'::JSON`, "JSON", `{"a":"x\ty"}`},
		{`tuple('a\tb\\c', 1)`, "Tuple(String, UInt8)", `('a\tb\\c',1)`},
		{`map('k\t', 'v\\')`, "Map(String, String)", `{'k\t':'v\\'}`},
		{`NULL`, "Nullable(Nothing)", nil},
		{`CAST(NULL, 'Nullable(String)')`, "Nullable(String)", nil},
		{`toNullable(3)`, "Nullable(UInt8)", "3"},
		{`[1, 2]`, "Array(UInt8)", "[1,2]"},
		{`['x\ty', 'q''z', NULL]`, "Array(Nullable(String))", `['x\ty','q\'z',NULL]`},
		{`toDateTime64('2024-01-02 03:04:05.123', 3, 'UTC')`, "DateTime64(3, 'UTC')", "2024-01-02 03:04:05.123"},
		{`toDate('2024-01-02')`, "Date", "2024-01-02"},
		{`true`, "Bool", "true"},
		{`toLowCardinality('lc')`, "LowCardinality(String)", "lc"},
		{`18446744073709551615`, "UInt64", "18446744073709551615"},
		{`toInt64(-9223372036854775808)`, "Int64", "-9223372036854775808"},
		{`map('k', [1])`, "Map(String, Array(UInt8))", "{'k':[1]}"},
		{`tuple(1, 'a', NULL)`, "Tuple(UInt8, String, Nullable(Nothing))", "(1,'a',NULL)"},
		{`toDecimal64(1.25, 4)`, "Decimal(18, 4)", "1.25"},
		{`1.5::Float64`, "Float64", "1.5"},
		{`toUUID('00000000-0000-0000-0000-000000000001')`, "UUID", "00000000-0000-0000-0000-000000000001"},
	}
	for _, tc := range cases {
		r, err := w.Query(context.Background(), "SELECT "+tc.expr+" AS v")
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if r.Columns[0].Type != tc.typ || len(r.Rows) != 1 || !reflect.DeepEqual(r.Rows[0][0], tc.want) {
			t.Errorf("%s: got %s %#v, want %s %#v", tc.expr, r.Columns[0].Type, r.Rows, tc.typ, tc.want)
		}
	}
	// Column names are unescaped too.
	r, err := w.Query(context.Background(), "SELECT 1 AS `we\tird`")
	if err != nil || r.Columns[0].Name != "we\tird" {
		t.Fatalf("column name = %+v, %v", r, err)
	}
}

func TestReadMillionRows(t *testing.T) {
	w := openTest(t, Options{})
	start := time.Now()
	r, err := w.Query(context.Background(),
		"SELECT number, toString(number) AS s, number % 3 = 0 ? NULL : number AS n FROM numbers(1000000)")
	if err != nil {
		t.Fatal(err)
	}
	d := time.Since(start)
	if len(r.Rows) != 1000000 || r.String(999999, 1) != "999999" || r.Rows[3][2] != nil {
		t.Fatalf("got %d rows, last %v", len(r.Rows), r.Rows[len(r.Rows)-1])
	}
	t.Logf("1M rows x 3 columns read and decoded in %v", d)
	if d > 15*time.Second {
		t.Fatalf("reading 1M rows took %v", d)
	}
}
