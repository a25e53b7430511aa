package generator

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// table is a parsed CSV file: its header and rows, read back with encoding/csv so the tests check the
// hand-rolled writer against an independent RFC 4180 reader.
type table struct {
	cols map[string]int
	rows [][]string
}

func (t table) get(row []string, col string) string { return row[t.cols[col]] }

func (t table) int(tb testing.TB, row []string, col string) int {
	tb.Helper()
	v, err := strconv.Atoi(t.get(row, col))
	if err != nil {
		tb.Fatalf("column %s: %v", col, err)
	}
	return v
}

func readTable(tb testing.TB, path, header string) table {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	want, _ := csv.NewReader(strings.NewReader(header)).Read()
	if len(recs) == 0 || len(recs[0]) != len(want) {
		tb.Fatalf("%s: header %v, want %v", path, recs, want)
	}
	t := table{cols: map[string]int{}, rows: recs[1:]}
	for i, c := range recs[0] {
		if c != want[i] {
			tb.Fatalf("%s: header column %d is %q, want %q", path, i, c, want[i])
		}
		t.cols[c] = i
	}
	return t
}

func readManifest(tb testing.TB, dir string) Manifest {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// testOptions is a small run with fault rates high enough that every fault kind occurs.
func testOptions(tb testing.TB) Options {
	o := DefaultOptions()
	o.Weeks = 3
	o.InitialUsers = 700
	o.WeeklySignups = 120
	o.Seed = 42
	o.DupRate, o.MalformedRate, o.UnknownTypeRate, o.LateRate = 0.01, 0.004, 0.004, 0.01
	o.Out = tb.TempDir()
	return o
}

func generate(tb testing.TB, o Options) Summary {
	tb.Helper()
	sum, err := Generate(context.Background(), o, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return sum
}

// readTree returns every file under root by relative path.
func readTree(tb testing.TB, root string) map[string][]byte {
	tb.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files[rel] = b
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}
