package tcp_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/serve/tcp"
	"github.com/dwmhq/dwm/internal/testtools"
)

// TestClickHouseDriver runs clickhouse-driver (Python, native protocol) against the server:
// typed constants, an insert of mixed types read back equal, an error, server-side parameters,
// and LZ4 and ZSTD compression both ways. The engine must hold what the driver sent.
func TestClickHouseDriver(t *testing.T) {
	python := testtools.PythonBin(t)
	_, addr, db := start(t, tcp.Options{})
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(python, filepath.Join("testdata", "driver_client.py"), host, port, password, db)
	b, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("driver_client.py: %v\n%s%s", err, b, stderr)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("output %q: %v", b, err)
	}
	want := map[string]any{
		"types": []any{"UInt8", "Int8", "String", "Array(UInt8)", "Nullable(Nothing)", "Decimal(18, 3)", "DateTime64(3, 'UTC')",
			"LowCardinality(String)", "Map(String, UInt8)", "Tuple(UInt8, String)", "UUID"},
		"constants": []any{"1", "-5", "x\ty", "[1, 2]", "None", "1.5", "2024-01-02 03:04:05.123000+00:00", "lc", "{'k': 1}",
			"(1, 'a')", "61f0c404-5cb3-11e7-907b-a6006ad3dba0"},
		"inserted":  10000.0,
		"roundtrip": true,
		"error":     []any{60.0, true},
		"params":    []any{"it's", 5.0},
		// 10 000 + 5 000 rows, a = 0..14 999 then 0..19 999; odd a are NULL in n.
		"lz4":  []any{15000.0, 112492500.0, 7500.0},
		"zstd": []any{20000.0, 199990000.0, 10000.0},
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %#v, want %#v", k, got[k], w)
		}
	}
	r, err := shared.Warehouse(t).Query(context.Background(), "SELECT count(), sum(length(s)), toString(sum(d)), max(at) FROM "+manifest.QuoteIdent(db)+".py")
	if err != nil {
		t.Fatal(err)
	}
	// sum of len('s%d\n') over 0..19999 and of i/4.
	if row := strings.Join([]string{r.String(0, 0), r.String(0, 1), r.String(0, 2), r.String(0, 3)}, " "); row != "20000 128890 49997500 2024-05-06 07:08:28.999" {
		t.Errorf("engine holds %s", row)
	}
}
