package generator

// cumTable samples an index with integer weights by a linear scan over cumulative sums; the tables are
// tiny (7 days, 24 hours), so a scan beats anything cleverer.
type cumTable struct {
	cum   []int
	total int
}

func newCumTable(weights []int) cumTable {
	t := cumTable{cum: make([]int, len(weights))}
	for i, w := range weights {
		t.total += w
		t.cum[i] = t.total
	}
	return t
}

func (t cumTable) pick(r streamRNG) int {
	x := r.IntN(t.total)
	for i, c := range t.cum {
		if x < c {
			return i
		}
	}
	return len(t.cum) - 1
}

// Activity shape: a little less on Friday and Saturday; morning, lunch and a strong evening peak, and
// no session starts in the last hour of the day (so Sunday's sessions end inside the week).
func dayTable() cumTable { return newCumTable([]int{100, 98, 96, 94, 86, 78, 88}) }

func hourTable() cumTable {
	return newCumTable([]int{4, 2, 1, 1, 1, 2, 5, 9, 10, 8, 7, 7, 9, 8, 7, 7, 8, 9, 11, 13, 14, 12, 8, 0})
}
