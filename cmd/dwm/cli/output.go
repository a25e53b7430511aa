package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// printer reports node progress like dbt: a line when a node starts and one when it finishes,
// coloured on a terminal, plain when piped, or one JSON object per event.
type printer struct {
	w       io.Writer
	json    bool
	color   bool
	nodes   map[string]*manifest.Node
	now     func() time.Time // time.Now; tests pass a fake clock
	started time.Time
	// live keeps a status line under the log on a terminal: how far the run is, what runs now,
	// for how long, and what the engine read so far (see status.go).
	live bool
	// quiet prints only the nodes that did not succeed (dwm simulate's default): the summary
	// still counts everything.
	quiet bool

	mu       sync.Mutex // Start and Done come from the runner, Progress and ticks from elsewhere
	running  []runningNode
	finished int
	total    int
	ticker   *time.Ticker
	stopTick chan struct{}
}

func newPrinter(w io.Writer, g *globalOptions, nodes map[string]*manifest.Node) *printer {
	tty := isTTY(w) && g.logFormat == "text"
	return &printer{w: w, json: g.logFormat == "json", color: !g.noColor && tty && os.Getenv("NO_COLOR") == "", live: tty,
		nodes: nodes, now: time.Now, started: time.Now()}
}

// clearStatus erases the live status line before a log line is printed over it.
func (p *printer) clearStatus() {
	if p.live {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// drawStatus prints the live status line (no newline, so the next clearStatus can erase it).
func (p *printer) drawStatus() {
	if !p.live || p.total == 0 {
		return
	}
	fmt.Fprint(p.w, p.paint("\x1b[2m", p.status()))
}

const (
	green  = "\x1b[32m"
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	reset  = "\x1b[0m"
)

func (p *printer) paint(c, s string) string {
	if !p.color {
		return s
	}
	return c + s + reset
}

func (p *printer) event(kind string, fields map[string]any) {
	fields["event"] = kind
	fields["ts"] = time.Now().UTC().Format(time.RFC3339Nano)
	b, _ := json.Marshal(fields)
	fmt.Fprintln(p.w, string(b))
}

func (p *printer) describe(id string) string {
	n := p.nodes[id]
	if n == nil {
		return id
	}
	switch n.ResourceType {
	case manifest.Model:
		return fmt.Sprintf("%s model %s.%s", n.Config.Materialized, n.Database, n.Alias)
	case manifest.Seed:
		return fmt.Sprintf("seed file %s.%s", n.Database, n.Alias)
	case manifest.Test:
		return "test " + n.Name
	}
	return string(n.ResourceType) + " " + n.Name
}

// Start implements runner.Events.
func (p *printer) Start(id string, i, total int) {
	if p.json {
		p.event("node_start", map[string]any{"unique_id": id, "index": i, "total": total})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearStatus()
	if !p.quiet {
		p.line(fmt.Sprintf("%d of %d START %s", i, total, p.describe(id)), "[RUN]")
	}
	p.running = append(p.running, runningNode{id: id, since: p.now(), read: map[string]warehouse.Progress{}})
	p.total = total
	p.startTicking()
	p.drawStatus()
}

// Done implements runner.Events.
func (p *printer) Done(r runner.Result, i, total int) {
	if p.json {
		p.event("node_finished", map[string]any{"unique_id": r.UniqueID, "index": i, "total": total, "status": r.Status,
			"execution_time": r.ExecTime, "rows_affected": r.RowsAffected, "failures": r.Failures, "message": r.Message})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearStatus()
	defer p.drawStatus()
	p.finished++
	p.total = total
	for k, rn := range p.running {
		if rn.id == r.UniqueID {
			p.running = append(p.running[:k], p.running[k+1:]...)
			break
		}
	}
	if p.quiet && (r.Status == runner.Success || r.Status == runner.Pass) {
		return
	}
	secs := fmt.Sprintf("in %.2fs", r.Elapsed.Seconds())
	var word, tag string
	switch r.Status {
	case runner.Success:
		word, tag = "OK", p.paint(green, "["+firstNonEmpty(r.Message, "OK")+" "+secs+"]")
	case runner.Pass:
		word, tag = "PASS", p.paint(green, "[PASS "+secs+"]")
	case runner.Warn:
		word, tag = "WARN", p.paint(yellow, fmt.Sprintf("[WARN %d %s]", r.Failures, secs))
	case runner.Fail:
		word, tag = "FAIL", p.paint(red, fmt.Sprintf("[FAIL %d %s]", r.Failures, secs))
	case runner.Skipped:
		word, tag = "SKIP", p.paint(yellow, "[SKIP]")
	default:
		word, tag = "ERROR", p.paint(red, "[ERROR "+secs+"]")
	}
	p.line(fmt.Sprintf("%d of %d %s %s", i, total, word, p.describe(r.UniqueID)), tag)
	if r.Status == runner.Skipped && r.Message != "" {
		fmt.Fprintf(p.w, "          %s\n", r.Message)
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// line prints "HH:MM:SS  text ..... tag" padded like dbt.
func (p *printer) line(text, tag string) {
	const width = 80
	dots := width - len(text) - 1
	if dots < 3 {
		dots = 3
	}
	fmt.Fprintf(p.w, "%s  %s %s %s\n", time.Now().Format("15:04:05"), text, strings.Repeat(".", dots), tag)
}

// summary prints failures in detail and the totals; it returns whether anything failed.
func (p *printer) summary(results []runner.Result, what string, elapsed time.Duration) bool {
	counts := map[runner.Status]int{}
	for _, r := range results {
		counts[r.Status]++
	}
	failed := counts[runner.Error]+counts[runner.Fail] > 0
	if p.json {
		p.event("run_summary", map[string]any{"what": what, "elapsed": elapsed.Seconds(), "pass": counts[runner.Success] + counts[runner.Pass],
			"warn": counts[runner.Warn], "error": counts[runner.Error] + counts[runner.Fail], "skip": counts[runner.Skipped], "total": len(results)})
		for _, r := range results {
			if r.Status.Failed() {
				p.event("node_error", map[string]any{"unique_id": r.UniqueID, "message": r.Message})
			}
		}
		return failed
	}
	p.stop()
	p.clearStatus()
	fmt.Fprintf(p.w, "\nFinished running %d %s in %.2fs.\n", len(results), what, elapsed.Seconds())
	if failed || counts[runner.Warn] > 0 {
		fmt.Fprintln(p.w)
		for _, r := range results {
			switch {
			case r.Status.Failed():
				fmt.Fprintf(p.w, "%s in %s\n  %s\n\n", p.paint(red, "Failure"), p.describe(r.UniqueID), indent(r.Message))
			case r.Status == runner.Warn:
				fmt.Fprintf(p.w, "%s in %s\n  %s\n\n", p.paint(yellow, "Warning"), p.describe(r.UniqueID), indent(r.Message))
			}
		}
	}
	status := p.paint(green, "Completed successfully")
	if failed {
		status = p.paint(red, "Completed with errors")
	}
	fmt.Fprintf(p.w, "%s\n\nDone. PASS=%d WARN=%d ERROR=%d SKIP=%d TOTAL=%d\n", status,
		counts[runner.Success]+counts[runner.Pass], counts[runner.Warn], counts[runner.Error]+counts[runner.Fail], counts[runner.Skipped], len(results))
	return failed
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n  ") }
