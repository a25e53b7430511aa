package generator

import "fmt"

// Tier is one league tier (ligue_tiers). TierID runs 1 (Bronze) to 10 (Diamond).
type Tier struct {
	TierID          int
	Name            string
	PromotionSlots  int
	RelegationSlots int
}

// NumTiers is the number of league tiers; tier 1 is the bottom, NumTiers the top.
const NumTiers = 10

// MaxGroupSize is the most users one league group (ligue_instances row) holds.
const MaxGroupSize = 30

// Tiers returns Duolingo's ten leagues, bottom to top. Nobody is promoted out of the top tier and nobody
// is relegated out of the bottom one, so those slots are zero.
func Tiers() []Tier {
	names := [NumTiers]string{"Bronze", "Silver", "Gold", "Sapphire", "Ruby", "Emerald", "Amethyst", "Pearl", "Obsidian", "Diamond"}
	tiers := make([]Tier, NumTiers)
	for i, n := range names {
		t := Tier{TierID: i + 1, Name: n, PromotionSlots: 5, RelegationSlots: 10}
		if t.TierID == NumTiers {
			t.PromotionSlots = 0
		}
		if t.TierID == 1 {
			t.RelegationSlots = 0
		}
		tiers[i] = t
	}
	return tiers
}

// EventType is one row of the event_types reference.
type EventType struct {
	ID          int
	Name        string
	Category    string
	Description string
}

// Event type ids the clickstream uses. They are fixed so the warehouse can filter on them.
const (
	EvAppOpen          = 1
	EvAppClose         = 2
	EvSessionStart     = 3
	EvSessionEnd       = 4
	EvLessonStart      = 5
	EvLessonComplete   = 6
	EvLessonFail       = 7
	EvLeagueView       = 8
	EvStreakExtend     = 9
	EvPurchase         = 10
	EvAchievement      = 11
	EvNotificationOpen = 12
)

// UnknownTypeMin is the lowest event_type_id used by the unknown-event-type fault; ids from here up are
// never in the reference.
const UnknownTypeMin = 900

// EventTypes returns the event type reference.
func EventTypes() []EventType {
	return []EventType{
		{EvAppOpen, "app_open", "app", "The app came to the foreground"},
		{EvAppClose, "app_close", "app", "The app went to the background or was closed"},
		{EvSessionStart, "session_start", "session", "A learning session started"},
		{EvSessionEnd, "session_end", "session", "A learning session ended; payload has its duration"},
		{EvLessonStart, "lesson_start", "learning", "The user opened a lesson"},
		{EvLessonComplete, "lesson_complete", "learning", "The user finished a lesson; payload has xp_earned and score"},
		{EvLessonFail, "lesson_fail", "learning", "The user ran out of hearts or quit a lesson; no XP"},
		{EvLeagueView, "league_view", "league", "The user looked at the league leaderboard"},
		{EvStreakExtend, "streak_extend", "engagement", "The first lesson of the day extended the streak"},
		{EvPurchase, "purchase", "monetization", "An in-app purchase (gems, streak freeze, subscription)"},
		{EvAchievement, "achievement_unlocked", "engagement", "The user unlocked an achievement badge"},
		{EvNotificationOpen, "notification_open", "engagement", "The user opened the app from a push notification"},
	}
}

// Lesson is one row of the lessons catalogue.
type Lesson struct {
	ID               int
	Name             string
	Language         string
	Difficulty       string
	Category         string
	XPReward         int
	EstimatedMinutes int
}

var (
	// These tables are read-only data, not state: they are never written after initialisation.
	languages    = [...]string{"Spanish", "French", "German", "Italian", "Japanese", "Korean", "Portuguese", "Chinese"}
	difficulties = [...]string{"beginner", "intermediate", "advanced"}
	categories   = [...]string{"vocabulary", "grammar", "listening", "speaking", "reading", "stories"}
	topics       = [...]string{"Basics", "Greetings", "Food", "Travel", "Family", "Work", "Hobbies", "Weather", "Shopping", "Health"}
)

// LessonsPerLanguage is the catalogue's size per language; lesson ids of language i are
// i*LessonsPerLanguage+1 .. (i+1)*LessonsPerLanguage.
const LessonsPerLanguage = 30

// Lessons returns the lessons catalogue: 30 lessons in each of 8 languages (240), three difficulties and
// six categories. It does not depend on the seed, as a real catalogue would not.
func Lessons() []Lesson {
	out := make([]Lesson, 0, len(languages)*LessonsPerLanguage)
	for li, lang := range languages {
		for j := 0; j < LessonsPerLanguage; j++ {
			d := j * len(difficulties) / LessonsPerLanguage // 10 lessons per difficulty, easy first
			c := categories[j%len(categories)]
			xp := 10 + 5*d
			if c == "stories" {
				xp += 5
			}
			out = append(out, Lesson{
				ID:               li*LessonsPerLanguage + j + 1,
				Name:             fmt.Sprintf("%s %s %d: %s", lang, topics[j%len(topics)], j/len(topics)+1, c),
				Language:         lang,
				Difficulty:       difficulties[d],
				Category:         c,
				XPReward:         xp,
				EstimatedMinutes: 3 + 2*d + j%4,
			})
		}
	}
	return out
}
