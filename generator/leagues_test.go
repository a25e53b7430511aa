package generator

import (
	"slices"
	"testing"
)

func TestGroupSizesBalanced(t *testing.T) {
	for k := 0; k <= 400; k++ {
		sizes := GroupSizes(k)
		want := (k + MaxGroupSize - 1) / MaxGroupSize
		if len(sizes) != want {
			t.Fatalf("k=%d: %d groups, want %d", k, len(sizes), want)
		}
		sum, lo, hi := 0, 1<<30, 0
		for _, s := range sizes {
			sum += s
			lo, hi = min(lo, s), max(hi, s)
		}
		if sum != k || (k > 0 && (hi > MaxGroupSize || hi-lo > 1)) {
			t.Fatalf("k=%d: sizes %v", k, sizes)
		}
	}
}

func TestOutcomeSlots(t *testing.T) {
	tiers := Tiers()
	mid, bottom, top := tiers[4], tiers[0], tiers[NumTiers-1]
	cases := []struct {
		n    int
		tier Tier
		p, r int
	}{
		{30, mid, 5, 10}, {15, mid, 5, 10}, {14, mid, 4, 9}, {3, mid, 1, 2}, {2, mid, 0, 1}, {1, mid, 0, 0},
		{30, bottom, 5, 0}, {7, bottom, 2, 0}, {30, top, 0, 10}, {8, top, 0, 5},
	}
	for _, c := range cases {
		p, r := OutcomeSlots(c.n, c.tier)
		if p != c.p || r != c.r {
			t.Errorf("n=%d tier=%s: got %d/%d, want %d/%d", c.n, c.tier.Name, p, r, c.p, c.r)
		}
		if p+r > c.n {
			t.Errorf("n=%d: p+r=%d exceeds n", c.n, p+r)
		}
	}
}

func TestRankGroupTieBreak(t *testing.T) {
	ms := []member{{pos: 5, xp: 10}, {pos: 2, xp: 30}, {pos: 1, xp: 10}, {pos: 9, xp: 30}}
	rankGroup(ms)
	want := []int32{2, 9, 1, 5}
	for i, m := range ms {
		if m.pos != want[i] {
			t.Fatalf("order %v, want idx %v", ms, want)
		}
	}
}

func TestFillSharesSmallestFirst(t *testing.T) {
	cases := []struct {
		sizes     []int
		n         int
		want      []int
		remaining int
	}{
		{[]int{10, 20, 15}, 12, []int{9, 0, 3}, 0}, // 10 up to 15, then both up to 18, the last one to the first: 19, 20, 18
		{[]int{28, 30, 29}, 10, []int{2, 0, 1}, 7}, // full at 30, 7 left for new groups
		{[]int{5, 5}, 3, []int{2, 1}, 0},           // the partial level goes to the earlier group
		{nil, 4, []int{}, 4},                       // no continuing groups
		{[]int{1, 2, 3}, 0, []int{0, 0, 0}, 0},     // nothing to place
	}
	for _, c := range cases {
		got := fillShares(c.sizes, c.n, MaxGroupSize)
		left := c.n
		for _, s := range got {
			left -= s
		}
		if !slices.Equal(got, c.want) || left != c.remaining {
			t.Errorf("fillShares(%v, %d) = %v (left %d), want %v (left %d)", c.sizes, c.n, got, left, c.want, c.remaining)
		}
	}
}
