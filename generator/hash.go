package generator

import "math/rand/v2"

// Purposes of random streams. Each decision family draws from its own stream so that, for example,
// turning fault injection off leaves the clean data (and its XP truth) unchanged.
const (
	tagProfile uint64 = iota + 1
	tagWeekly
	tagGroup
	tagEvents
	tagFaults
	tagDevice
	tagSession
	tagEventID
	tagUsername
)

// mix64 is the splitmix64 finaliser: a cheap, well-distributed bijection on uint64.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hashKey folds a seed and a list of integers into one well-mixed key.
func hashKey(seed uint64, parts ...uint64) uint64 {
	h := mix64(seed ^ 0x6a09e667f3bcc908)
	for _, p := range parts {
		h = mix64(h ^ p)
	}
	return h
}

// seedPCG reseeds p from a key so a worker can reuse one PCG (no allocation) for every user.
func seedPCG(p *rand.PCG, key uint64) {
	p.Seed(key, mix64(key^0xbb67ae8584caa73b))
}

// streamRNG is a reusable PCG plus the rand.Rand that reads it.
type streamRNG struct {
	pcg *rand.PCG
	*rand.Rand
}

func newStreamRNG() streamRNG {
	p := rand.NewPCG(0, 0)
	return streamRNG{pcg: p, Rand: rand.New(p)}
}

// reseed points the stream at the sequence for key.
func (s streamRNG) reseed(key uint64) { seedPCG(s.pcg, key) }

const hexDigits = "0123456789abcdef"

// appendUUID appends a UUID-v4-shaped rendering of (hi, lo): deterministic ids that look like the
// backend's random ones.
func appendUUID(dst []byte, hi, lo uint64) []byte {
	hi = hi&^(0xf<<12) | 0x4<<12 // version 4
	lo = lo&^(0x3<<62) | 0x2<<62 // RFC 4122 variant
	var b [36]byte
	put := func(at int, v uint64, nibbles int) {
		for i := nibbles - 1; i >= 0; i-- {
			b[at+i] = hexDigits[v&0xf]
			v >>= 4
		}
	}
	put(0, hi>>32, 8)
	b[8] = '-'
	put(9, hi>>16, 4)
	b[13] = '-'
	put(14, hi, 4)
	b[18] = '-'
	put(19, lo>>48, 4)
	b[23] = '-'
	put(24, lo, 12)
	return append(dst, b[:]...)
}
