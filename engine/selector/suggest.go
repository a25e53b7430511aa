package selector

import (
	"path"
	"slices"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
)

// maxSuggestions bounds the "did you mean" list.
const maxSuggestions = 3

// warn records that c matched nothing, once per criterion text.
func (ev *evaluator) warn(c *Criterion) {
	if ev.warned[c.Raw] {
		return
	}
	ev.warned[c.Raw] = true
	ev.warnings = append(ev.warnings, Warning{
		Criterion:   c.Raw,
		Suggestions: suggest(c.Value, candidates(c.Method, ev.m)),
	})
}

// candidates lists what a value for the method could have been meant to be.
func candidates(method Method, m *manifest.Manifest) []string {
	seen := map[string]bool{}
	var out []string
	put := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, id := range m.SortedIDs() {
		n := m.Nodes[id]
		if n == nil {
			continue
		}
		switch method {
		case MethodFQN, MethodFile:
			if n.ResourceType != manifest.Source {
				put(n.Name)
			}
		case MethodTag:
			for _, t := range n.Config.Tags {
				put(t)
			}
		case MethodPath:
			for p := n.Path; p != "." && p != "/" && p != ""; p = path.Dir(p) {
				put(p)
			}
		case MethodSource:
			if n.Source != nil {
				put(n.Source.SourceName)
				put(n.Source.SourceName + "." + n.Name)
			}
		case MethodTestName:
			if n.Test != nil {
				put(n.Test.Name)
			}
		}
	}
	return out
}

// suggest returns up to maxSuggestions candidates close to value: within an edit distance that
// grows with its length, or containing it, nearest first and then by name.
func suggest(value string, cands []string) []string {
	type scored struct {
		s string
		d int
	}
	limit := max(2, len(value)/3)
	var near []scored
	for _, c := range cands {
		d := editDistance(strings.ToLower(value), strings.ToLower(c))
		if d <= limit || (len(value) >= 3 && strings.Contains(c, value)) {
			near = append(near, scored{c, d})
		}
	}
	slices.SortFunc(near, func(a, b scored) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.s, b.s)
	})
	var out []string
	for i := 0; i < len(near) && i < maxSuggestions; i++ {
		out = append(out, near[i].s)
	}
	return out
}

// editDistance is the optimal-string-alignment distance: Levenshtein plus adjacent
// transpositions, so the common "usres" typo is one edit from "users".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
