package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// The live status line under the log on a terminal. It is redrawn when a node starts or ends
// and once a second while nodes run, so a long model shows its time going up and, where the
// engine reports it (warehouse.Progress), the rows and bytes its statements have read:
//
//	[3/10 done, 21s] running: fct_events 19s 1.2M rows 340 MB (48%), dim_users 2s

// statusEvery is how often the status line is redrawn while nodes run.
const statusEvery = time.Second

// runningNode is a node between its Start and its Done.
type runningNode struct {
	id    string
	since time.Time
	read  map[string]warehouse.Progress // the latest report of each of its statements
	last  string                        // the statement that reported last
}

// Progress implements runner.ProgressEvents. It only records; the next tick draws it.
func (p *printer) Progress(id string, pr warehouse.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.running {
		if p.running[i].id == id {
			p.running[i].read[pr.Statement] = pr
			p.running[i].last = pr.Statement
		}
	}
}

// status is the text of the status line. Caller holds mu.
func (p *printer) status() string {
	now := p.now()
	parts := make([]string, 0, len(p.running))
	for _, rn := range p.running {
		name := rn.id
		if n := p.nodes[rn.id]; n != nil {
			name = n.Name
		}
		parts = append(parts, name+" "+seconds(now.Sub(rn.since))+rn.progress())
	}
	status := fmt.Sprintf("[%d/%d done, %s] running: %s", p.finished, p.total, seconds(now.Sub(p.started)), strings.Join(parts, ", "))
	if len(status) > 120 {
		status = status[:117] + "..."
	}
	return status
}

// progress sums what the node's statements read; the share done is the latest statement's,
// when the engine estimated its total.
func (rn runningNode) progress() string {
	var rows, bytes uint64
	for _, pr := range rn.read {
		rows += pr.ReadRows
		bytes += pr.ReadBytes
	}
	if rows == 0 && bytes == 0 {
		return ""
	}
	out := " " + count(rows) + " rows " + size(bytes)
	if last := rn.read[rn.last]; last.TotalRows > 0 && last.ReadRows <= last.TotalRows {
		out += fmt.Sprintf(" (%d%%)", last.ReadRows*100/last.TotalRows)
	}
	return out
}

// events is the printer as the runner should see it: with Progress only when there is a status
// line to show it, so piped and JSON runs never ask the engine for progress.
func (p *printer) events() runner.Events {
	if p.live {
		return p
	}
	return struct{ runner.Events }{p} // Start and Done only
}

// startTicking starts the redraws once the first node runs on a terminal. Caller holds mu.
func (p *printer) startTicking() {
	if !p.live || p.ticker != nil {
		return
	}
	p.ticker = time.NewTicker(statusEvery)
	stop, c := make(chan struct{}), p.ticker.C
	p.stopTick = stop
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-c:
				p.tick()
			}
		}
	}()
}

// tick redraws the status line while something runs.
func (p *printer) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ticker == nil || len(p.running) == 0 {
		return // stopped, or between nodes
	}
	p.clearStatus()
	p.drawStatus()
}

// stop ends the redraws; the summary calls it, and so does every way out of a run.
func (p *printer) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ticker != nil {
		p.ticker.Stop()
		close(p.stopTick)
		p.ticker = nil
	}
}

// seconds prints a duration as the status line does: 19s, 2m05s.
func seconds(d time.Duration) string {
	s := int(d.Seconds())
	if s < 60 {
		return fmt.Sprintf("%ds", s)
	}
	return fmt.Sprintf("%dm%02ds", s/60, s%60)
}

// count prints 950, 12.3K, 4.5M, 1.2B.
func count(n uint64) string {
	return human(n, []string{"", "K", "M", "B", "T"})
}

// size prints bytes in decimal units: 512 B, 340 MB, 1.2 GB.
func size(n uint64) string {
	return human(n, []string{" B", " KB", " MB", " GB", " TB"})
}

func human(n uint64, units []string) string {
	v, u := float64(n), 0
	for v >= 1000 && u < len(units)-1 {
		v /= 1000
		u++
	}
	if u == 0 || v >= 10 {
		return fmt.Sprintf("%.0f%s", v, units[u])
	}
	return fmt.Sprintf("%.1f%s", v, units[u])
}

var _ runner.ProgressEvents = (*printer)(nil)
