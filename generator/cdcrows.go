package generator

import "time"

// CSV headers: the plan's *_staging columns in order, without processed and inserted_at, which the
// warehouse adds on load. event_stream has the plan's columns without inserted_at.
const (
	HeaderTiers       = "op,tier_id,tier_name,promotion_slots,relegation_slots,cdc_timestamp"
	HeaderEventTypes  = "op,event_type_id,event_name,event_category,description,cdc_timestamp"
	HeaderLessons     = "op,lesson_id,lesson_name,language,difficulty,category,xp_reward,estimated_minutes,cdc_timestamp"
	HeaderUsers       = "op,user_id,username,email,country_code,region,gender,birth_date,subscription_tier,signup_date,current_tier,is_deleted,cdc_timestamp"
	HeaderInstances   = "op,instance_id,tier_id,week_start_date,week_end_date,max_participants,actual_participants,cdc_timestamp"
	HeaderAssignments = "op,user_id,instance_id,tier_id,week_start_date,week_end_date,starting_rank,final_rank,total_xp_earned,outcome,cdc_timestamp"
	HeaderEvents      = "event_id,user_id,event_type_id,event_timestamp,event_date,payload,session_id,platform,app_version,device_id"
)

// CDC operations.
const (
	OpInsert = "INSERT"
	OpUpdate = "UPDATE"
	OpDelete = "DELETE"
)

func dayTime(day int32) time.Time { return time.Unix(int64(day)*86400, 0).UTC() }

// appendUserRow formats a users row with u's current image. A DELETE keeps the last image but empties
// the personal data (username, email, birth_date), as GDPR requires.
func appendUserRow(b []byte, op string, seed uint64, idx int, u *user, at time.Time) []byte {
	uid := userID(idx)
	del := op == OpDelete
	b = append(b, op...)
	b = append(b, ',')
	b = appendUint(b, uid)
	b = append(b, ',')
	if !del {
		b = appendUsername(b, seed, uid, u.nameVer)
	}
	b = append(b, ',')
	if !del {
		b = appendEmail(b, seed, uid, u.nameVer)
	}
	b = append(b, ',')
	c := &countries[u.country]
	b = append(b, c.code...)
	b = append(b, ',')
	b = appendField(b, c.regions[u.region])
	b = append(b, ',')
	b = append(b, genders[u.gender]...)
	b = append(b, ',')
	if !del {
		b = appendDate(b, dayTime(u.birthDay))
	}
	b = append(b, ',')
	b = append(b, subscriptions[u.sub]...)
	b = append(b, ',')
	b = appendDate(b, dayTime(u.signupDay))
	b = append(b, ',')
	b = appendUint(b, uint64(u.tier))
	b = append(b, ',')
	b = appendBool(b, del || u.deleted)
	b = append(b, ',')
	b = appendDateTime(b, at)
	return append(b, '\n')
}

// instance is one league group of one week.
type instance struct {
	id      uint64
	tier    uint8
	members []member
}

// appendInstanceRow formats a ligue_instances row; actual is the participant count to report.
func appendInstanceRow(b []byte, op string, in *instance, weekStart, weekEnd []byte, actual int, at time.Time) []byte {
	b = append(b, op...)
	b = append(b, ',')
	b = appendUint(b, in.id)
	b = append(b, ',')
	b = appendUint(b, uint64(in.tier))
	b = append(b, ',')
	b = append(b, weekStart...)
	b = append(b, ',')
	b = append(b, weekEnd...)
	b = append(b, ',')
	b = appendUint(b, MaxGroupSize)
	b = append(b, ',')
	b = appendUint(b, uint64(actual))
	b = append(b, ',')
	b = appendDateTime(b, at)
	return append(b, '\n')
}

// standing is one user's league week as the assignment rows report it.
type standing struct {
	instance uint64
	tier     uint8
	start    uint16 // starting rank, set when the group is formed
	rank     uint16 // 0 until the week closes
	outcome  uint8
	xp       uint32
}

// appendAssignmentRow formats a ligue_assignment row. starting_rank is set on both rows (it is known
// when the group forms); final_rank and outcome are empty on the INSERT.
func appendAssignmentRow(b []byte, op string, uid uint64, s standing, weekStart, weekEnd []byte, at time.Time) []byte {
	closed := op == OpUpdate
	b = append(b, op...)
	b = append(b, ',')
	b = appendUint(b, uid)
	b = append(b, ',')
	b = appendUint(b, s.instance)
	b = append(b, ',')
	b = appendUint(b, uint64(s.tier))
	b = append(b, ',')
	b = append(b, weekStart...)
	b = append(b, ',')
	b = append(b, weekEnd...)
	b = append(b, ',')
	b = appendUint(b, uint64(s.start))
	b = append(b, ',')
	if closed {
		b = appendUint(b, uint64(s.rank))
	}
	b = append(b, ',')
	if closed {
		b = appendUint(b, uint64(s.xp))
	} else {
		b = append(b, '0')
	}
	b = append(b, ',')
	if closed {
		b = append(b, outcomeNames[s.outcome]...)
	}
	b = append(b, ',')
	b = appendDateTime(b, at)
	return append(b, '\n')
}
