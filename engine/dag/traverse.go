package dag

import "slices"

// Ancestors returns the nodes id depends on, directly or not, up to depth edges away (depth < 0:
// no limit; 0: none), sorted. The node itself is not included.
func (d *DAG) Ancestors(id string, depth int) []string {
	return d.AncestorsOfSet([]string{id}, depth)
}

// Descendants returns the nodes that depend on id, directly or not, up to depth edges away
// (depth < 0: no limit; 0: none), sorted. The node itself is not included.
func (d *DAG) Descendants(id string, depth int) []string {
	return d.DescendantsOfSet([]string{id}, depth)
}

// AncestorsOfSet returns the union of the ancestors of ids within depth, sorted, leaving out
// ids themselves (callers union them back in as needed). Unknown IDs are ignored. One
// breadth-first search serves the whole set, which is what graph operators on a method that
// matches many nodes (tag:nightly+) need.
func (d *DAG) AncestorsOfSet(ids []string, depth int) []string {
	return d.names(d.reach(d.indexes(ids), d.parents, depth))
}

// DescendantsOfSet is AncestorsOfSet downstream.
func (d *DAG) DescendantsOfSet(ids []string, depth int) []string {
	return d.names(d.reach(d.indexes(ids), d.children, depth))
}

// reach runs a multi-source breadth-first search along next and returns the sorted indexes
// found within depth steps. A node is within depth of the set exactly when it is within depth
// of some member, so this equals the union of per-node searches.
func (d *DAG) reach(start []int, next [][]int, depth int) []int {
	if depth == 0 || len(start) == 0 {
		return nil
	}
	seen := make(map[int]bool, len(start))
	for _, i := range start {
		seen[i] = true
	}
	var found []int
	frontier := start
	for step := 0; len(frontier) > 0 && (depth < 0 || step < depth); step++ {
		var following []int
		for _, i := range frontier {
			for _, j := range next[i] {
				if !seen[j] {
					seen[j] = true
					found = append(found, j)
					following = append(following, j)
				}
			}
		}
		frontier = following
	}
	slices.Sort(found)
	return found
}
