package generator

import (
	"math"
	"slices"
	"time"
)

const (
	msPerDay  = 86_400_000
	msPerWeek = 7 * msPerDay
	// weekLimitMs is where the last lesson of a week must have ended: Sunday 23:55, so every event of a
	// week (session tails take seconds) carries a timestamp inside that week.
	weekLimitMs = msPerWeek - 5*60_000
	maxSessions = 40
	maxLessons  = 8
)

// weekEnv is the read-only context of one week's clickstream, shared by all workers.
type weekEnv struct {
	seed    uint64
	week    int
	dates   [7][10]byte // YYYY-MM-DD of each day of the week
	users   []user
	xp      []uint32 // per participant position; each worker writes only its own participants' entries
	lessons []Lesson
	faults  faultPlan
	days    cumTable
	hours   cumTable
}

func newWeekEnv(seed uint64, week int, start time.Time, users []user, xp []uint32, o Options) *weekEnv {
	env := &weekEnv{seed: seed, week: week, users: users, xp: xp, lessons: Lessons(),
		faults: newFaultPlan(o), days: dayTable(), hours: hourTable()}
	for d := range env.dates {
		copy(env.dates[d][:], appendDate(nil, start.AddDate(0, 0, d)))
	}
	return env
}

// eventCounts is what a stretch of clickstream generation produced, for the manifest.
type eventCounts struct {
	rows        int64 // rows written to this week's file (including same-file duplicates and injections)
	completions int64 // real lesson_complete events of this week
	xp          int64 // XP of those completions
	dupSame     int64 // extra copies delivered in this week's file
	dupNext     int64 // copies held for next week's file
	late        int64 // events held for next week's file
	malformed   int64
	unknown     int64
}

func (c *eventCounts) add(o eventCounts) {
	c.rows += o.rows
	c.completions += o.completions
	c.xp += o.xp
	c.dupSame += o.dupSame
	c.dupNext += o.dupNext
	c.late += o.late
	c.malformed += o.malformed
	c.unknown += o.unknown
}

// chunkOut collects one chunk of users' rows: buf for this week's file, carry for next week's.
type chunkOut struct {
	buf, carry []byte
	counts     eventCounts
}

func (o *chunkOut) reset() {
	o.buf, o.carry, o.counts = o.buf[:0], o.carry[:0], eventCounts{}
}

// eventGen writes one user's week of sessions at a time. One per worker; not safe for concurrent use.
type eventGen struct {
	env    *weekEnv
	r, fr  streamRNG // behaviour and faults draw from separate streams, so faults never change behaviour
	out    *chunkOut
	starts []int64
	pay    []byte // payload scratch, CSV-escaped JSON
	fpay   []byte // payload scratch of injected events
	tail   []byte // ",session_id,platform,app_version,device_id\n" of the current session

	uid    uint64
	idBase uint64
	seq    uint64
	streak int
}

func newEventGen(env *weekEnv) *eventGen {
	return &eventGen{env: env, r: newStreamRNG(), fr: newStreamRNG()}
}

// user generates the week of the participant at position pos (user index idx) and records their XP.
func (g *eventGen) user(pos int, idx int32) {
	env := g.env
	u := &env.users[idx]
	g.uid = userID(int(idx))
	week := uint64(env.week)
	g.r.reseed(hashKey(env.seed, tagEvents, week, g.uid))
	g.fr.reseed(hashKey(env.seed, tagFaults, week, g.uid))
	g.idBase = hashKey(env.seed, tagEventID, week, g.uid)
	g.seq, g.streak = 0, 0

	n := min(maxSessions, 1+int(g.r.ExpFloat64()*2.5*float64(u.engagement)))
	g.starts = g.starts[:0]
	for range n {
		ms := int64(env.days.pick(g.r))*msPerDay + int64(env.hours.pick(g.r))*3_600_000 + g.r.Int64N(3_600_000)
		g.starts = append(g.starts, ms)
	}
	slices.Sort(g.starts)
	var xp uint32
	var daysSeen uint8
	end := int64(-1 << 40)
	for i, s := range g.starts {
		if s < end+60_000 { // sessions never overlap: a busy user's next one waits a little
			s = end + 60_000 + g.r.Int64N(600_000)
		}
		if s > weekLimitMs-30*60_000 {
			break
		}
		end = g.session(u, i, s, &daysSeen, &xp)
	}
	env.xp[pos] = xp
}

// session writes one session starting at ms (from Monday 00:00) and returns when it ended.
func (g *eventGen) session(u *user, i int, ms int64, daysSeen *uint8, xp *uint32) int64 {
	env, r := g.env, g.r
	plat := int(u.platform)
	if r.Float64() < 0.1 { // an occasional session on another device
		plat = (plat + 1 + r.IntN(2)) % len(platforms)
	}
	versions := appVersions[plat]
	version := versions[hashKey(env.seed, tagDevice, g.uid, uint64(env.week))%uint64(len(versions))]
	g.tail = append(g.tail[:0], ',')
	sk := hashKey(env.seed, tagSession, uint64(env.week), g.uid, uint64(i))
	g.tail = appendUUID(g.tail, sk, mix64(sk))
	g.tail = append(g.tail, ',')
	g.tail = append(g.tail, platforms[plat]...)
	g.tail = append(g.tail, ',')
	g.tail = append(g.tail, version...)
	g.tail = append(g.tail, ',')
	dk := hashKey(env.seed, tagDevice, g.uid, uint64(plat))
	g.tail = appendUUID(g.tail, dk, mix64(dk))
	g.tail = append(g.tail, '\n')

	start := ms
	if r.Float64() < 0.1 {
		g.emit(EvNotificationOpen, ms, `{""campaign"":""streak_reminder""}`, false)
		ms += 500 + r.Int64N(1500)
		g.emit(EvAppOpen, ms, `{""source"":""notification""}`, false)
	} else {
		g.emit(EvAppOpen, ms, `{""source"":""icon""}`, false)
	}
	ms += 200 + r.Int64N(800)
	g.pay = append(g.pay[:0], `{""session_number"":`...)
	g.pay = appendUint(g.pay, uint64(i+1))
	g.pay = append(g.pay, '}')
	g.emitPay(EvSessionStart, ms, false)
	if r.Float64() < 0.35 {
		ms += 1000 + r.Int64N(5000)
		g.pay = append(g.pay[:0], `{""tier_id"":`...)
		g.pay = appendUint(g.pay, uint64(u.tier))
		g.pay = append(g.pay, '}')
		g.emitPay(EvLeagueView, ms, false)
	}
	lessons := 1
	for lessons < maxLessons && r.Float64() < 0.55 {
		lessons++
	}
	done := 0
	for range lessons {
		if !g.lesson(u, &ms, daysSeen, xp) {
			break
		}
		done++
	}
	if r.Float64() < 0.015 {
		ms += 2000 + r.Int64N(20_000)
		g.emit(EvPurchase, ms, `{""item"":""streak_freeze"",""gems"":200}`, false)
	}
	if r.Float64() < 0.04 {
		ms += 500 + r.Int64N(2000)
		g.emit(EvAchievement, ms, `{""achievement"":""weekly_warrior""}`, false)
	}
	ms += 500 + r.Int64N(3000)
	g.pay = append(g.pay[:0], `{""duration_seconds"":`...)
	g.pay = appendUint(g.pay, uint64((ms-start)/1000))
	g.pay = append(g.pay, `,""lessons"":`...)
	g.pay = appendUint(g.pay, uint64(done))
	g.pay = append(g.pay, '}')
	g.emitPay(EvSessionEnd, ms, false)
	ms += 100 + r.Int64N(900)
	g.emit(EvAppClose, ms, `{""reason"":""background""}`, false)
	return ms
}

// lesson plays one lesson; it reports false (writing nothing) when the lesson would end past the week.
func (g *eventGen) lesson(u *user, ms *int64, daysSeen *uint8, xp *uint32) bool {
	r := g.r
	ls := &g.env.lessons[int(u.language)*LessonsPerLanguage+r.IntN(LessonsPerLanguage)]
	dur := int64(float64(ls.EstimatedMinutes*60_000) * (0.6 + 0.8*r.Float64()))
	begin := *ms + 2000 + r.Int64N(10_000)
	if begin+dur > weekLimitMs {
		return false
	}
	failed := r.Float64() < 0.12
	var mistakes, score, earned int
	if failed {
		mistakes = 6 + r.IntN(10)
		score = r.IntN(60)
	} else {
		mistakes = int(math.Min(5, r.ExpFloat64()*1.2))
		score = 100 - mistakes*6 - r.IntN(10)
		if mistakes == 0 {
			score = 100
		}
		earned = ls.XPReward
		if mistakes == 0 {
			earned += 5 // the perfect-lesson bonus
		}
	}
	g.pay = append(g.pay[:0], `{""lesson_id"":`...)
	g.pay = appendUint(g.pay, uint64(ls.ID))
	g.pay = append(g.pay, '}')
	g.emitPay(EvLessonStart, begin, true)
	*ms = begin + dur

	g.pay = append(g.pay[:0], `{""lesson_id"":`...)
	g.pay = appendUint(g.pay, uint64(ls.ID))
	g.pay = append(g.pay, `,""xp_earned"":`...)
	g.pay = appendUint(g.pay, uint64(earned))
	g.pay = append(g.pay, `,""score"":`...)
	g.pay = appendUint(g.pay, uint64(score))
	g.pay = append(g.pay, `,""mistakes_made"":`...)
	g.pay = appendUint(g.pay, uint64(mistakes))
	g.pay = append(g.pay, `,""time_spent_seconds"":`...)
	g.pay = appendUint(g.pay, uint64(dur/1000))
	if failed {
		g.pay = append(g.pay, `,""status"":""failed""}`...)
		g.emitPay(EvLessonFail, *ms, true)
		return true
	}
	g.pay = append(g.pay, `,""status"":""completed""}`...)
	g.emitPay(EvLessonComplete, *ms, true)
	*xp += uint32(earned)
	g.out.counts.completions++
	g.out.counts.xp += int64(earned)
	if day := uint8(1) << (*ms / msPerDay); *daysSeen&day == 0 {
		*daysSeen |= day
		g.streak++
		*ms += 300 + r.Int64N(700)
		g.pay = append(g.pay[:0], `{""streak_days"":`...)
		g.pay = appendUint(g.pay, uint64(g.streak))
		g.pay = append(g.pay, '}')
		g.emitPay(EvStreakExtend, *ms, false)
	}
	return true
}
