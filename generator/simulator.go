package generator

import (
	"context"
	"fmt"
	"math"
	"runtime"
)

// Simulator holds the backend's state between weeks: every account ever created, the next league
// group id and the events held back for next week's file. It advances one week per call, so a caller
// can interleave generation with other work (generate week k, build the warehouse, generate week k+1).
// A Simulator is not safe for concurrent use.
type Simulator struct {
	opts         Options
	workers      int
	users        []user
	week         int    // last simulated week; 0 before the first
	nextInstance uint64 // ligue_instances ids are global and increase week after week
	last         lastLeague
	carry        []byte // event rows delivered at the start of next week's file
	carried      Carried
	deleted      int64
	rng          streamRNG // for the serial, per-user decisions
	countryW     []int
}

// NewSimulator validates opts and returns a simulator positioned before week 1. opts.Weeks and
// opts.Week are not enforced: the caller decides how far to go.
func NewSimulator(opts Options) (*Simulator, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	w := opts.Workers
	if w == 0 {
		w = runtime.GOMAXPROCS(0)
	}
	return &Simulator{opts: opts, workers: w, nextInstance: 1, rng: newStreamRNG(), countryW: countryWeights()}, nil
}

// Week returns the last simulated week, 0 before the first.
func (s *Simulator) Week() int { return s.week }

// WriteReference writes root/w000 (tiers, event types, lessons and their manifest).
func (s *Simulator) WriteReference(root string) (Manifest, error) {
	return writeReference(s.opts, root)
}

// Next simulates the next week and writes it to root/wNNN, returning its manifest.
func (s *Simulator) Next(ctx context.Context, root string) (Manifest, error) {
	return s.step(ctx, root, true)
}

// Skip simulates the next week without writing anything. The state afterwards is exactly as if Next had
// run, so the following Next writes the same bytes as in a full run.
func (s *Simulator) Skip(ctx context.Context) error {
	_, err := s.step(ctx, "", false)
	return err
}

// signups returns how many accounts are created at the start of week k: weekly signups grow 3% a week,
// and week 1 also brings the accounts that existed before the CDC feed started.
func (s *Simulator) signups(k int) (initial, fresh int) {
	fresh = int(math.Round(float64(s.opts.WeeklySignups) * math.Pow(1.03, float64(k-1))))
	if k == 1 {
		initial = s.opts.InitialUsers
	}
	return initial, fresh
}

// addUsers creates the week's accounts and returns the index of the first new one.
func (s *Simulator) addUsers(k int) (first int) {
	initial, fresh := s.signups(k)
	first = len(s.users)
	s.users = append(s.users, make([]user, initial+fresh)...)
	for i := first; i < len(s.users); i++ {
		s.users[i] = newUser(s.opts.Seed, userID(i), k, s.opts.Start, i < first+initial, s.rng, s.countryW)
	}
	return first
}

func wrapWeek(k int, err error) error { return fmt.Errorf("week %d: %w", k, err) }
