package generator

// user is the backend's current image of one account, packed small: the simulator holds one per user
// ever signed up, and memory must grow with users, not events. Strings (username, email) are derived
// from the seed on demand instead of stored.
type user struct {
	engagement float32 // weekly activity scale, log-normal around 1
	birthDay   int32   // days since the Unix epoch
	signupDay  int32   // days since the Unix epoch
	signupWeek int16   // 0 for initial users
	tier       uint8   // current league tier, 1..NumTiers
	country    uint8   // index into countries
	region     uint8   // index into the country's regions
	gender     uint8
	sub        uint8 // index into subscriptions
	platform   uint8 // primary platform, index into platforms
	language   uint8 // language being learned, index into languages
	nameVer    uint8 // bumps when the user renames themselves
	churned    bool
	deleted    bool
}

// userID maps a slice index to the backend's user_id.
func userID(idx int) uint64 { return uint64(idx) + 1 }
