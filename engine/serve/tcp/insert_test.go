package tcp

import (
	"reflect"
	"testing"
)

func TestParseInsert(t *testing.T) {
	cases := []struct {
		sql     string
		ok      bool
		table   string
		cols    []string
		prefix  string
		funcIns bool
	}{
		{sql: "INSERT INTO t VALUES", ok: true, table: "t", prefix: "INSERT INTO t"},
		{sql: "insert into db.t (a, `b c`, \"d\") format Native", ok: true, table: "db.t", cols: []string{"a", "b c", "d"}, prefix: "insert into db.t (a, `b c`, \"d\")"},
		{sql: "  /* batch */ INSERT INTO TABLE `my db`.`t` (x) SETTINGS async_insert = 1, s = 'VALUES' VALUES ;\n", ok: true,
			table: "`my db`.`t`", cols: []string{"x"}, prefix: "/* batch */ INSERT INTO TABLE `my db`.`t` (x) SETTINGS async_insert = 1, s = 'VALUES'"},
		{sql: "-- c\nINSERT INTO t(a,b)VALUES", ok: true, table: "t", cols: []string{"a", "b"}, prefix: "-- c\nINSERT INTO t(a,b)"},
		{sql: "INSERT INTO t VALUES (1, 2)"},
		{sql: "INSERT INTO t FORMAT CSV\n1,2\n"},
		{sql: "INSERT INTO t SELECT * FROM u"},
		{sql: "INSERT INTO t (a) WITH 1 AS x SELECT x"},
		{sql: "SELECT 'INSERT INTO t VALUES'"},
		{sql: "INSERT INTO a.b.c VALUES"},
		{sql: "INSERT INTO t (a, VALUES"},
		{sql: "INSERT INTO FUNCTION file('x.csv') VALUES", ok: true, funcIns: true},
		{sql: "INSERT INTO FUNCTION file('x.csv') SELECT 1", funcIns: true},
		{sql: "INSERTINTO t VALUES"},
	}
	for _, c := range cases {
		ins, fn, ok := parseInsert(c.sql)
		if ok != c.ok || fn != c.funcIns {
			t.Errorf("%q: ok %v function %v, want %v %v", c.sql, ok, fn, c.ok, c.funcIns)
			continue
		}
		if !ok || fn {
			continue
		}
		if ins.Table != c.table || !reflect.DeepEqual(ins.Columns, c.cols) || ins.Prefix != c.prefix || ins.SQL != c.sql {
			t.Errorf("%q: got table %q cols %q prefix %q", c.sql, ins.Table, ins.Columns, ins.Prefix)
		}
	}
}
