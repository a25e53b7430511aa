package pii

import (
	"os"
	"path/filepath"
	"testing"
)

func TestScrubCSVBlanksOnlyErasedRowsAndKeepsTheRest(t *testing.T) {
	in := "op,user_id,username,email,payload\n" +
		"INSERT,1,ann,ann@x.io,\"{\"\"a\"\": 1}\"\n" +
		"INSERT,2,bob,bob@x.io,{}\n" +
		"DELETE,1,,,\n"
	out, n, err := ScrubCSV("users.csv", []byte(in), ',', "user_id", []string{"username", "email", "birth_date"}, map[string]bool{"1": true})
	if err != nil || n != 1 {
		t.Fatalf("rows %d, %v", n, err)
	}
	want := "op,user_id,username,email,payload\n" +
		"INSERT,1,,,\"{\"\"a\"\": 1}\"\n" +
		"INSERT,2,bob,bob@x.io,{}\n" +
		"DELETE,1,,,\n"
	if string(out) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
	again, n, err := ScrubCSV("users.csv", out, ',', "user_id", []string{"username", "email"}, map[string]bool{"1": true})
	if err != nil || n != 0 || string(again) != string(out) {
		t.Fatalf("second scrub: rows %d, %v, changed: %v", n, err, string(again) != string(out))
	}
	path := filepath.Join(t.TempDir(), "users.csv")
	if err := ReplaceFile(path, out); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); SHA256(b) != SHA256(out) {
		t.Fatal("ReplaceFile wrote something else")
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(m) != 0 {
		t.Fatalf("left behind: %v", m)
	}
}
