package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dwmhq/dwm/engine/artifacts"
	"github.com/dwmhq/dwm/engine/manifest"
)

// weekTiming is one line of `dwm simulate --timings FILE`: how long one phase or node of one
// simulated week took. Phase is "generate", "build" (the whole build), a model's materialization
// (staging, scd2, fact, incremental, table, view) or "test".
type weekTiming struct {
	Week          int     `json:"week"`
	Phase         string  `json:"phase"`
	Node          string  `json:"node,omitempty"`
	Seconds       float64 `json:"seconds"`
	EngineSeconds float64 `json:"engine_seconds,omitempty"`
	Rows          uint64  `json:"rows"`
	Status        string  `json:"status,omitempty"`
}

// timingsWriter appends JSON lines; a nil writer records nothing.
type timingsWriter struct {
	w   io.WriteCloser
	enc *json.Encoder
}

func openTimings(path string) (*timingsWriter, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("timings: %w", err)
	}
	return &timingsWriter{w: f, enc: json.NewEncoder(f)}, nil
}

func (t *timingsWriter) write(rec weekTiming) error {
	if t == nil {
		return nil
	}
	if err := t.enc.Encode(rec); err != nil {
		return fmt.Errorf("timings: %w", err)
	}
	return nil
}

// writeBuild records the build of a week node by node, from the run_results.json the build
// just wrote (each build overwrites it, so it is read right away).
func (t *timingsWriter) writeBuild(week int, target string, nodes map[string]*manifest.Node) error {
	if t == nil {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(target, "run_results.json"))
	if err != nil {
		return fmt.Errorf("timings: %w", err)
	}
	var rr artifacts.RunResults
	if err := json.Unmarshal(data, &rr); err != nil {
		return fmt.Errorf("timings: read run_results.json: %w", err)
	}
	if err := t.write(weekTiming{Week: week, Phase: "build", Seconds: rr.ElapsedTime}); err != nil {
		return err
	}
	for _, r := range rr.Results {
		phase := "other"
		if n := nodes[r.UniqueID]; n != nil {
			switch n.ResourceType {
			case manifest.Test, manifest.UnitTest:
				phase = "test"
			default:
				phase = n.Config.Materialized
			}
		}
		if err := t.write(weekTiming{Week: week, Phase: phase, Node: r.UniqueID, Seconds: r.ExecTime,
			EngineSeconds: r.EngineTime, Rows: r.RowsAffected, Status: string(r.Status)}); err != nil {
			return err
		}
	}
	return nil
}

func (t *timingsWriter) Close() error {
	if t == nil {
		return nil
	}
	return t.w.Close()
}
