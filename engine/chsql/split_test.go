package chsql

import (
	"reflect"
	"testing"
)

func TestSplit(t *testing.T) {
	got, err := Split("create table a (x String default ';');\n-- only a comment;\n ; insert into a values ('a;b') /* ; */;select 1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"create table a (x String default ';')", "insert into a values ('a;b') /* ; */", "select 1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Split = %q, want %q", got, want)
	}
	if _, err := Split("select 'unterminated"); err == nil {
		t.Error("an unterminated string split without an error")
	}
}
