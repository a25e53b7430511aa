package generator

import (
	"errors"
	"fmt"
	"time"
)

// Version is written into every manifest; bump it whenever the same options would produce different
// bytes, so a warehouse test can tell which rules a data set follows.
const Version = "1"

// ErrInvalidOptions is wrapped by every error Options.Validate returns.
var ErrInvalidOptions = errors.New("invalid generator options")

// Options configures a generation run. The zero value is not valid; start from DefaultOptions.
type Options struct {
	Seed          uint64
	Weeks         int       // weeks to simulate, 1..Weeks
	Week          int       // if > 0, write only week Week (and the reference data), still simulating 1..Week-1
	InitialUsers  int       // users that already exist when week 1 starts
	WeeklySignups int       // signups in week 1; later weeks grow along the growth curve
	Start         time.Time // Monday of week 1, UTC
	Out           string    // root folder; weeks go to Out/w000, Out/w001, ...

	// Fault rates are per clickstream event, each in [0, 1]; 0 turns the fault off.
	DupRate         float64 // the event is delivered twice (same or next week's file)
	MalformedRate   float64 // an extra event with a broken JSON payload is injected
	UnknownTypeRate float64 // an extra event with an event_type_id outside the reference is injected
	LateRate        float64 // a non-lesson event is delivered in next week's file

	// Workers bounds the goroutines generating clickstream; 0 means GOMAXPROCS. It never changes output.
	Workers int
}

// DefaultOptions returns the small, fast demo configuration.
func DefaultOptions() Options {
	return Options{
		Seed:            1,
		Weeks:           4,
		InitialUsers:    2000,
		WeeklySignups:   300,
		Start:           time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC),
		Out:             "data/cdc",
		DupRate:         0.002,
		MalformedRate:   0.0005,
		UnknownTypeRate: 0.0005,
		LateRate:        0.001,
	}
}

// Validate reports the first problem with o, wrapped around ErrInvalidOptions.
func (o Options) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidOptions, fmt.Sprintf(format, args...))
	}
	switch {
	case o.Weeks < 1:
		return bad("weeks must be at least 1, got %d", o.Weeks)
	case o.Week < 0 || o.Week > o.Weeks:
		return bad("week must be between 1 and weeks (%d), got %d", o.Weeks, o.Week)
	case o.InitialUsers < 0:
		return bad("initial users must not be negative, got %d", o.InitialUsers)
	case o.WeeklySignups < 0:
		return bad("weekly signups must not be negative, got %d", o.WeeklySignups)
	case o.InitialUsers+o.WeeklySignups == 0:
		return bad("initial users and weekly signups are both 0: nobody to simulate")
	case o.Start.IsZero():
		return bad("start date is missing")
	case o.Start.Weekday() != time.Monday:
		return bad("start date %s is a %s, not a Monday", dateString(o.Start), o.Start.Weekday())
	case o.Start != o.Start.Truncate(24*time.Hour) || o.Start.Location() != time.UTC:
		return bad("start must be a UTC date at midnight, got %s", o.Start)
	case o.Out == "":
		return bad("output folder is empty")
	case o.Workers < 0:
		return bad("workers must not be negative, got %d", o.Workers)
	}
	rates := []struct {
		name string
		v    float64
	}{{"dup rate", o.DupRate}, {"malformed rate", o.MalformedRate}, {"unknown type rate", o.UnknownTypeRate}, {"late rate", o.LateRate}}
	sum := 0.0
	for _, r := range rates {
		if !(r.v >= 0 && r.v <= 1) { // also rejects NaN
			return bad("%s must be between 0 and 1, got %v", r.name, r.v)
		}
		sum += r.v
	}
	if sum > 1 {
		return bad("fault rates add up to %v; one event takes at most one fault, so the sum must be at most 1", sum)
	}
	return nil
}

// weekStart returns the Monday that starts week k (1-based).
func (o Options) weekStart(k int) time.Time { return o.Start.AddDate(0, 0, 7*(k-1)) }
