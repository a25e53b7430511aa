package generator

import (
	"context"
	"fmt"
	"io"
)

// Summary reports a Generate run: the manifests of every folder written.
type Summary struct {
	Reference Manifest
	Weeks     []Manifest
}

// Events returns the event_stream rows written over all weeks.
func (s Summary) Events() int64 {
	var n int64
	for _, m := range s.Weeks {
		if m.Truth != nil {
			n += m.Truth.EventsDelivered
		}
	}
	return n
}

// Generate writes opts.Out/w000 and weeks 1..opts.Weeks, or, when opts.Week is set, only w000 and that
// week (simulating the earlier weeks in memory). It prints one line per week to progress, if not nil.
func Generate(ctx context.Context, opts Options, progress io.Writer) (Summary, error) {
	var sum Summary
	sim, err := NewSimulator(opts)
	if err != nil {
		return sum, err
	}
	if sum.Reference, err = sim.WriteReference(opts.Out); err != nil {
		return sum, err
	}
	first := 1
	if opts.Week > 0 {
		first = opts.Week
		for sim.Week() < opts.Week-1 {
			if err := sim.Skip(ctx); err != nil {
				return sum, err
			}
			report(progress, "simulated week %d (not written)\n", sim.Week())
		}
	}
	for k := first; k <= opts.Weeks && (opts.Week == 0 || k == opts.Week); k++ {
		m, err := sim.Next(ctx, opts.Out)
		if err != nil {
			return sum, err
		}
		sum.Weeks = append(sum.Weeks, m)
		t := m.Truth
		report(progress, "wrote %s (%s): %d users, %d participants in %d groups, %d events\n",
			WeekDir(k), m.WeekStart, t.UsersTotal, t.ParticipatingUsers, t.Groups, t.EventsDelivered)
	}
	return sum, nil
}

func report(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format, args...)
	}
}
