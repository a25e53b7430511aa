package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/project"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// runModels is the size of the run-overhead project: trivial models, half views, half tables,
// each reading an earlier one, so ClickHouse does almost nothing and dwm's own cost shows.
const runModels = 200

func writeRunProject(dir string) error {
	files := map[string]string{"project.yml": "name: bench\n"}
	for i := range runModels {
		var b strings.Builder
		if i%2 == 0 {
			b.WriteString("{{ config \"materialized\" \"table\" \"order_by\" \"id\" }}\n")
		}
		if i < 10 {
			b.WriteString("select number as id, number * 2 as v from numbers(100)\n")
		} else {
			fmt.Fprintf(&b, "select id, v + 1 as v from {{ ref %q }}\n", modelName(i-1-i%10))
		}
		files[filepath.Join("models", modelName(i)+".sql")] = b.String()
	}
	for p, text := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// shared keeps one open embedded ClickHouse for every session of the benchmark: libchdb opens
// one data directory per process, and opening it is a fixed cost, not a per-model one.
type shared struct{ warehouse.Warehouse }

func (shared) Close() error { return nil }

// BenchmarkRunOverhead builds 200 trivial models from scratch with one thread and reports dwm's
// own time per model: wall time minus the time ClickHouse reports for the statements
// (overhead-ms/model). The baseline is the same statements replayed by a bare Exec loop
// (raw-overhead-ms/model): what any client of the embedded engine pays.
func BenchmarkRunOverhead(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	if err := writeRunProject(dir); err != nil {
		b.Fatal(err)
	}
	probe, err := session.Open(session.Options{ProjectDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	wh, err := session.OpenTarget(ctx, probe.Project.Target, dir, 2)
	if err != nil {
		b.Fatalf("open the embedded ClickHouse (run `make setup`): %v", err)
	}
	defer wh.Close()
	open := func(context.Context, project.Target, string, int) (warehouse.Warehouse, error) {
		return shared{wh}, nil
	}
	mustExec := func(sql string) {
		if _, err := wh.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}

	var wall, engine, rawWall, rawEngine time.Duration
	for b.Loop() {
		b.StopTimer()
		mustExec("DROP DATABASE IF EXISTS bench SYNC")
		s, err := session.Open(session.Options{ProjectDir: dir, OpenWarehouse: open, Threads: 1})
		if err != nil {
			b.Fatal(err)
		}
		ids, _, err := s.Select(nil, nil, []manifest.ResourceType{manifest.Model}, "")
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		results, err := s.Run(ctx, ids, session.RunOptions{Threads: 1})
		wall += time.Since(t0)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range results {
			if r.Status != runner.Success {
				b.Fatalf("%s: %s %s", r.UniqueID, r.Status, r.Message)
			}
			engine += time.Duration(r.EngineTime * float64(time.Second))
		}

		// Baseline: the statements dwm ran, in the same order, through a bare Exec loop.
		mustExec("DROP DATABASE IF EXISTS bench SYNC")
		var stmts []string
		for _, r := range results {
			log, err := os.ReadFile(s.Target.RunPath(s.Project.Manifest.Project, s.Node(r.UniqueID)))
			if err != nil {
				b.Fatal(err)
			}
			for _, st := range strings.Split(string(log), ";\n\n") {
				if st = strings.TrimSpace(st); st != "" {
					stmts = append(stmts, st)
				}
			}
		}
		t1 := time.Now()
		if st, err := wh.Exec(ctx, "CREATE DATABASE IF NOT EXISTS bench"); err == nil {
			rawEngine += st.Elapsed
		}
		for _, sql := range stmts {
			st, err := wh.Exec(ctx, sql)
			if err != nil {
				b.Fatalf("replay %q: %v", sql, err)
			}
			rawEngine += st.Elapsed
		}
		rawWall += time.Since(t1)
		b.StartTimer()
	}
	n := float64(b.N * runModels)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / n }
	b.ReportMetric(ms(wall), "wall-ms/model")
	b.ReportMetric(ms(engine), "engine-ms/model")
	b.ReportMetric(ms(wall-engine), "overhead-ms/model")
	b.ReportMetric(ms(rawWall-rawEngine), "raw-overhead-ms/model")
	b.ReportMetric(ms(rawWall), "raw-wall-ms/model")
}
