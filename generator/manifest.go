package generator

// Manifest is the manifest.json of one folder: what was written, which faults it carries and the ground
// truth the warehouse's results must reproduce.
type Manifest struct {
	GeneratorVersion string     `json:"generator_version"`
	Seed             uint64     `json:"seed"`
	Week             int        `json:"week"` // 0 for the reference folder
	WeekStart        string     `json:"week_start,omitempty"`
	WeekEnd          string     `json:"week_end,omitempty"`
	Options          OptionsDoc `json:"options"`
	Files            []FileInfo `json:"files"`
	Faults           *Faults    `json:"faults,omitempty"`
	// CarriedToNextWeek counts this week's events held back for next week's file.
	CarriedToNextWeek *Carried `json:"carried_to_next_week,omitempty"`
	Truth             *Truth   `json:"truth,omitempty"`
}

// OptionsDoc records the options that shape the data, so a folder says how to regenerate it.
type OptionsDoc struct {
	InitialUsers    int     `json:"initial_users"`
	WeeklySignups   int     `json:"weekly_signups"`
	Start           string  `json:"start"`
	DupRate         float64 `json:"dup_rate"`
	MalformedRate   float64 `json:"malformed_rate"`
	UnknownTypeRate float64 `json:"unknown_type_rate"`
	LateRate        float64 `json:"late_rate"`
}

// Faults counts the faulty rows in this week's event_stream.csv.
type Faults struct {
	// Duplicates are rows whose event_id was already delivered, earlier in this file or in the previous
	// week's file.
	Duplicates int64 `json:"duplicates"`
	// MalformedJSON are injected rows (non-lesson types) whose payload is not valid JSON.
	MalformedJSON int64 `json:"malformed_json"`
	// UnknownEventType are injected rows whose event_type_id is not in event_types.csv.
	UnknownEventType int64 `json:"unknown_event_type"`
	// LateArrivals are rows delivered for the first time here whose timestamp lies in an earlier week.
	LateArrivals int64 `json:"late_arrivals"`
}

// Carried counts events of this week delivered in next week's file.
type Carried struct {
	Duplicates   int64 `json:"duplicates"`
	LateArrivals int64 `json:"late_arrivals"`
}

// Truth is what the backend knows about the week, after its league close.
type Truth struct {
	UsersTotal         int64       `json:"users_total"`   // non-deleted accounts after the week
	UsersDeleted       int64       `json:"users_deleted"` // accounts deleted so far
	ActiveUsers        int64       `json:"active_users"`  // non-deleted users active this week
	ParticipatingUsers int64       `json:"participating_users"`
	Groups             int64       `json:"groups"`
	Promoted           int64       `json:"promoted"`
	Relegated          int64       `json:"relegated"`
	Stayed             int64       `json:"stayed"`
	TotalXP            int64       `json:"total_xp"`
	LessonCompletions  int64       `json:"lesson_completions"`
	EventsGenerated    int64       `json:"events_generated"` // distinct real events with a timestamp in this week
	EventsDelivered    int64       `json:"events_delivered"` // rows in this week's event_stream.csv
	Signups            int64       `json:"signups"`
	ProfileUpdates     int64       `json:"profile_updates"` // subscription or profile UPDATE rows
	TierUpdates        int64       `json:"tier_updates"`
	Deletes            int64       `json:"deletes"`
	PerTier            []TierTruth `json:"per_tier"`
}

// TierTruth is the week's truth for one tier. Users is the count after the week's moves;
// the others describe the week's groups of that tier.
type TierTruth struct {
	TierID       int   `json:"tier_id"`
	Users        int64 `json:"users"`
	Participants int64 `json:"participants"`
	Groups       int64 `json:"groups"`
	Promoted     int64 `json:"promoted"`
	Relegated    int64 `json:"relegated"`
	Stayed       int64 `json:"stayed"`
	TotalXP      int64 `json:"total_xp"`
}

func optionsDoc(o Options) OptionsDoc {
	return OptionsDoc{
		InitialUsers: o.InitialUsers, WeeklySignups: o.WeeklySignups, Start: dateString(o.Start),
		DupRate: o.DupRate, MalformedRate: o.MalformedRate, UnknownTypeRate: o.UnknownTypeRate, LateRate: o.LateRate,
	}
}
