package selector

import (
	"github.com/dwmhq/dwm/engine/dag"
	"github.com/dwmhq/dwm/engine/manifest"
)

type set map[string]struct{}

func (s set) has(id string) bool { _, ok := s[id]; return ok }

func (s set) keys() []string {
	out := make([]string, 0, len(s))
	for id := range s {
		out = append(out, id)
	}
	return out
}

func union(sets ...set) set {
	out := set{}
	for _, s := range sets {
		for id := range s {
			out[id] = struct{}{}
		}
	}
	return out
}

func intersection(sets []set) set {
	out := set{}
	if len(sets) == 0 {
		return out
	}
	for id := range sets[0] {
		in := true
		for _, s := range sets[1:] {
			in = in && s.has(id)
		}
		if in {
			out[id] = struct{}{}
		}
	}
	return out
}

func difference(a, b set) set {
	out := set{}
	for id := range a {
		if !b.has(id) {
			out[id] = struct{}{}
		}
	}
	return out
}

// result is dbt's pair of node sets: direct is what is selected; indirect holds tests that
// were reached through a selected node but, under the cautious or buildable modes, are kept
// only if the rest of the expression selects all the nodes they need.
type result struct{ direct, indirect set }

type evaluator struct {
	dag      *dag.DAG
	m        *manifest.Manifest
	opts     Options
	ids      []string
	warnings []Warning
	warned   map[string]bool
}

func (All) eval(ev *evaluator) result {
	all := set{}
	for _, id := range ev.ids {
		all[id] = struct{}{}
	}
	return result{direct: all, indirect: set{}}
}

func (c *Criterion) eval(ev *evaluator) result {
	collected := set{}
	match := c.matcher(ev.m.Project, ev.m, ev.opts.State)
	for _, id := range ev.ids {
		if n := ev.m.Nodes[id]; n != nil && match(n) {
			collected[id] = struct{}{}
		}
	}
	if len(collected) == 0 {
		ev.warn(c)
	}

	selected := union(collected)
	seeds := collected.keys()
	if c.ChildrensParents {
		// dbt's "@": the descendants, then the ancestors of the descendants and the seeds.
		down := ev.dag.DescendantsOfSet(seeds, -1)
		add(selected, down)
		add(selected, ev.dag.AncestorsOfSet(append(seeds, down...), -1))
	}
	if c.Parents {
		add(selected, ev.dag.AncestorsOfSet(seeds, c.ParentsDepth))
	}
	if c.Children {
		add(selected, ev.dag.DescendantsOfSet(seeds, c.ChildrenDepth))
	}
	return ev.expandTests(selected)
}

func add(s set, ids []string) {
	for _, id := range ids {
		s[id] = struct{}{}
	}
}

// expandTests is dbt's expand_selection: tests directly downstream of the selection join it
// according to the indirect selection mode.
func (ev *evaluator) expandTests(selected set) result {
	r := result{direct: union(selected), indirect: set{}}
	mode := ev.opts.Indirect
	if mode == IndirectEmpty {
		return r
	}
	var withParents set
	for id := range selected {
		for _, child := range ev.dag.Children(id) {
			n := ev.m.Nodes[child]
			if selected.has(child) || n == nil || !isTest(n) {
				continue
			}
			switch {
			case mode == IndirectEager || ev.within(n, selected):
				r.direct[child] = struct{}{}
			case mode == IndirectBuildable:
				if withParents == nil {
					withParents = ev.withAncestors(selected)
				}
				if ev.within(n, withParents) {
					r.direct[child] = struct{}{}
				} else {
					r.indirect[child] = struct{}{}
				}
			default:
				r.indirect[child] = struct{}{}
			}
		}
	}
	return r
}

// incorporate is dbt's incorporate_indirect_nodes: after a set operation, indirectly reached
// tests whose needs are now met join the selection.
func (ev *evaluator) incorporate(direct, indirect set) set {
	mode := ev.opts.Indirect
	if mode != IndirectCautious && mode != IndirectBuildable {
		return direct
	}
	enough := direct
	if mode == IndirectBuildable {
		enough = ev.withAncestors(direct)
	}
	out := union(direct)
	for id := range indirect {
		if n := ev.m.Nodes[id]; n != nil && !direct.has(id) && ev.within(n, enough) {
			out[id] = struct{}{}
		}
	}
	return out
}

func isTest(n *manifest.Node) bool {
	return n.ResourceType == manifest.Test || n.ResourceType == manifest.UnitTest
}

// within reports whether everything n depends on is in s; sources always count, as in dbt's
// buildable mode, since they are never built.
func (ev *evaluator) within(n *manifest.Node, s set) bool {
	for _, dep := range n.DependsOn {
		if s.has(dep) {
			continue
		}
		if d := ev.m.Nodes[dep]; ev.opts.Indirect == IndirectBuildable && d != nil && d.ResourceType == manifest.Source {
			continue
		}
		return false
	}
	return true
}

func (ev *evaluator) withAncestors(s set) set {
	out := union(s)
	add(out, ev.dag.AncestorsOfSet(s.keys(), -1))
	return out
}

// combine applies a set operation to the direct sets and, as dbt does, to the direct-plus-
// indirect sets, then lets waiting tests in.
func (ev *evaluator) combine(parts []result, op func([]set) set) result {
	directs := make([]set, len(parts))
	everything := make([]set, len(parts))
	for i, p := range parts {
		directs[i] = p.direct
		everything[i] = union(p.direct, p.indirect)
	}
	direct := op(directs)
	indirect := op(everything)
	return result{direct: ev.incorporate(direct, indirect), indirect: indirect}
}

func evalAll(ev *evaluator, exprs []Expr) []result {
	out := make([]result, len(exprs))
	for i, e := range exprs {
		out[i] = e.eval(ev)
	}
	return out
}

func (u *Union) eval(ev *evaluator) result {
	return ev.combine(evalAll(ev, u.Exprs), func(s []set) set { return union(s...) })
}

func (i *Intersection) eval(ev *evaluator) result {
	return ev.combine(evalAll(ev, i.Exprs), intersection)
}

func (d *Difference) eval(ev *evaluator) result {
	return ev.combine(evalAll(ev, []Expr{d.Include, d.Exclude}), func(s []set) set {
		return difference(s[0], s[1])
	})
}
