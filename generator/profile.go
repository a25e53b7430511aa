package generator

import (
	"math"
	"time"
)

// Read-only lookup tables for user profiles.
var (
	countries = [...]struct {
		code    string
		weight  int
		regions []string
	}{
		{"US", 24, []string{"California", "Texas", "New York", "Florida", "Illinois"}},
		{"BR", 10, []string{"Sao Paulo", "Rio de Janeiro", "Minas Gerais"}},
		{"MX", 7, []string{"Jalisco", "Nuevo Leon", "Ciudad de Mexico"}},
		{"GB", 6, []string{"England", "Scotland", "Wales"}},
		{"DE", 6, []string{"Bavaria", "Berlin", "Hamburg", "Saxony"}},
		{"FR", 5, []string{"Ile-de-France", "Occitanie", "Bretagne"}},
		{"IN", 8, []string{"Maharashtra", "Karnataka", "Delhi"}},
		{"JP", 5, []string{"Tokyo", "Osaka", "Hokkaido"}},
		{"ES", 4, []string{"Madrid", "Catalonia", "Andalusia"}},
		{"IT", 4, []string{"Lombardy", "Lazio", "Sicily"}},
		{"RU", 4, []string{"Moscow", "Saint Petersburg", "Tatarstan"}},
		{"PL", 3, []string{"Mazovia", "Lesser Poland"}},
		{"KR", 3, []string{"Seoul", "Busan"}},
		{"CN", 3, []string{"Shanghai", "Beijing", "Guangdong"}},
		{"CA", 4, []string{"Ontario", "Quebec", "British Columbia"}},
		{"AU", 4, []string{"New South Wales", "Victoria", "Queensland"}},
	}
	genders        = [...]string{"female", "male", "non_binary", "undisclosed"}
	genderWeights  = [...]int{46, 46, 2, 6}
	subscriptions  = [...]string{"free", "super", "max"}
	subWeights     = [...]int{88, 10, 2}
	platforms      = [...]string{"ios", "android", "web"}
	platformWeight = [...]int{45, 40, 15}
	appVersions    = [...][]string{
		{"7.14.0", "7.13.2", "7.12.1"},
		{"7.14.1", "7.13.0", "7.11.4"},
		{"web-2026.01.2", "web-2026.01.1"},
	}
	nameAdjectives = [...]string{"happy", "brave", "quiet", "swift", "lucky", "clever", "sunny", "bold", "calm", "eager", "fuzzy", "jolly", "mighty", "noble", "witty", "zesty"}
	nameNouns      = [...]string{"owl", "panda", "tiger", "fox", "otter", "koala", "eagle", "whale", "llama", "badger", "falcon", "lynx", "moose", "heron", "gecko", "bison"}
	emailDomains   = [...]string{"gmail.com", "yahoo.com", "outlook.com", "icloud.com", "proton.me", "mail.ru", "gmx.de", "hotmail.com"}
)

// pickWeighted returns an index drawn with the given integer weights.
func pickWeighted(r streamRNG, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := r.IntN(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func countryWeights() []int {
	w := make([]int, len(countries))
	for i, c := range countries {
		w[i] = c.weight
	}
	return w
}

// userProfile draws the signup profile of user uid. signupDay is the signup date in days since the
// Unix epoch; initial users (who existed before week 1) get an older signup date and a tier of their own.
func newUser(seed uint64, uid uint64, week int, start time.Time, initial bool, r streamRNG, cw []int) user {
	r.reseed(hashKey(seed, tagProfile, uid))
	u := user{tier: 1, signupWeek: int16(week)}
	u.country = uint8(pickWeighted(r, cw))
	u.region = uint8(r.IntN(len(countries[u.country].regions)))
	u.gender = uint8(pickWeighted(r, genderWeights[:]))
	u.sub = uint8(pickWeighted(r, subWeights[:]))
	u.platform = uint8(pickWeighted(r, platformWeight[:]))
	u.language = uint8(r.IntN(len(languages)))
	// Ages skew young: 13 + an exponential with mean 15 years, capped at 80.
	age := 13 + math.Min(67, r.ExpFloat64()*15)
	weekStart := start.AddDate(0, 0, 7*(week-1))
	u.birthDay = int32(weekStart.Unix()/86400) - int32(age*365.25)
	// Engagement is log-normal: many light users and a long tail of very active ones.
	u.engagement = float32(math.Exp(r.NormFloat64() * 0.9))
	u.signupDay = int32(weekStart.Unix() / 86400)
	if initial {
		u.signupDay -= int32(1 + r.IntN(730))
		u.signupWeek = 0
		// Existing users are spread over the tiers, most of them low: P(tier) ~ 0.6^(tier-1).
		t := 1
		for t < NumTiers && r.Float64() < 0.6 {
			t++
		}
		u.tier = uint8(t)
		u.churned = r.Float64() < 0.3
	}
	return u
}

// appendUsername appends the user's handle; nameVer changes when the user renames themselves.
func appendUsername(dst []byte, seed, uid uint64, nameVer uint8) []byte {
	h := hashKey(seed, tagUsername, uid, uint64(nameVer))
	dst = append(dst, nameAdjectives[h%uint64(len(nameAdjectives))]...)
	dst = append(dst, '_')
	dst = append(dst, nameNouns[(h>>8)%uint64(len(nameNouns))]...)
	return appendUint(dst, uid)
}

// appendEmail appends the user's address, derived from the username so renames change it too.
func appendEmail(dst []byte, seed, uid uint64, nameVer uint8) []byte {
	dst = appendUsername(dst, seed, uid, nameVer)
	h := hashKey(seed, tagUsername, uid, uint64(nameVer), 1)
	dst = append(dst, '@')
	return append(dst, emailDomains[h%uint64(len(emailDomains))]...)
}
