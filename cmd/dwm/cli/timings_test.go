package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
)

func TestTimingsWriteBuild(t *testing.T) {
	dir := t.TempDir()
	rr := `{"elapsed_time": 2.5, "results": [
		{"unique_id": "model.p.users", "status": "success", "execution_time": 1.5, "engine_time": 1.25, "rows_affected": 7},
		{"unique_id": "test.p.unique_users_id", "status": "pass", "execution_time": 0.5, "engine_time": 0.5, "rows_affected": 0}]}`
	if err := os.WriteFile(filepath.Join(dir, "run_results.json"), []byte(rr), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "timings.jsonl")
	tw, err := openTimings(path)
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]*manifest.Node{
		"model.p.users":          {ResourceType: manifest.Model, Config: manifest.Config{Materialized: "scd2"}},
		"test.p.unique_users_id": {ResourceType: manifest.Test},
	}
	if err := tw.write(weekTiming{Week: 3, Phase: "generate", Seconds: 1, Rows: 10}); err != nil {
		t.Fatal(err)
	}
	if err := tw.writeBuild(3, dir, nodes); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var phases []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var w weekTiming
		if err := json.Unmarshal([]byte(line), &w); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if w.Week != 3 {
			t.Errorf("%q: week %d, want 3", line, w.Week)
		}
		phases = append(phases, w.Phase)
	}
	if got, want := strings.Join(phases, ","), "generate,build,scd2,test"; got != want {
		t.Errorf("phases %s, want %s", got, want)
	}
	var nilWriter *timingsWriter
	if err := nilWriter.writeBuild(1, dir, nodes); err != nil {
		t.Errorf("nil writer: %v", err)
	}
}
