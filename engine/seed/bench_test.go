package seed

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkParse1M parses a 1M-row, 6-column seed (about 60 MB) from memory.
func BenchmarkParse1M(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("id,name,amount,ok,day,ts\n")
	for i := 0; i < 1_000_000; i++ {
		fmt.Fprintf(&buf, "%d,user %d,%d.%02d,%t,2024-%02d-%02d,2024-01-02 03:%02d:%02d\n", i, i, i%1000, i%100, i%2 == 0, i%12+1, i%28+1, i%60, i%60)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, err := parse(bytes.NewReader(data), "bench.csv", Options{})
		if err != nil {
			b.Fatal(err)
		}
		if s.Rows != 1_000_000 || s.Columns[3].Type != "Bool" || s.Columns[5].Type != "DateTime" {
			b.Fatalf("rows=%d types=%v", s.Rows, s.Columns)
		}
	}
}
