package generator

import "math"

// faultPlan turns the per-event fault rates into cumulative thresholds on one uint64 draw, so an event
// takes at most one fault and the check costs one comparison chain.
type faultPlan struct {
	dupSame, dupNext, late, malformed, unknown uint64
	enabled                                    bool
}

func newFaultPlan(o Options) faultPlan {
	edge := func(cum float64) uint64 {
		if cum >= 1 {
			return math.MaxUint64
		}
		return uint64(math.Ldexp(cum, 64))
	}
	// Half of the duplicates arrive in the same file, half in the next week's file.
	c1 := o.DupRate / 2
	c2 := o.DupRate
	c3 := c2 + o.LateRate
	c4 := c3 + o.MalformedRate
	c5 := c4 + o.UnknownTypeRate
	return faultPlan{
		dupSame: edge(c1), dupNext: edge(c2), late: edge(c3), malformed: edge(c4), unknown: edge(c5),
		enabled: c5 > 0,
	}
}

// Malformed payloads as a broken producer would send them, already CSV-escaped (quotes doubled).
// Each fails JSON parsing; they ride on non-lesson event types so XP truth never depends on them.
var malformedPayloads = [...]string{
	`{""source"":""icon""`,
	`{source:icon}`,
	`{""duration_seconds"":12,}`,
	`{""tier_id"":""3""}}`,
	`not json`,
	`{""lesson_id"":12,""xp_earned"":`,
}

var malformedTypes = [...]int{EvAppOpen, EvAppClose, EvLeagueView, EvSessionStart}
