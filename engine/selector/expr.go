package selector

import (
	"strconv"
	"strings"
)

// Expr is a node of a parsed selection: a set operation or a single criterion. The set is
// closed (the evaluation method is unexported) so every Expr is one of the types below, which
// callers such as YAML selectors may build directly.
type Expr interface {
	// String renders the expression for debugging, with every method spelled out.
	String() string
	eval(ev *evaluator) result
}

// Union selects what any of its parts selects (space-separated words, repeated --select).
type Union struct{ Exprs []Expr }

// Intersection selects what all of its parts select (comma-separated criteria in one word).
type Intersection struct{ Exprs []Expr }

// Difference selects what Include selects and Exclude does not (--exclude).
type Difference struct{ Include, Exclude Expr }

// All selects every node: the selection when no --select is given.
type All struct{}

// Criterion is one selector such as "2+tag:nightly+": a method that matches nodes, then the
// graph operators that widen the match.
type Criterion struct {
	Raw    string   // as written, for messages
	Method Method   // never empty: a bare value gets path, file or fqn as in dbt
	Args   []string // what follows the method name: config.materialized -> ["materialized"]
	Value  string

	Parents          bool // "+" prefix
	ParentsDepth     int  // "2+": 2; -1 when unlimited
	Children         bool // "+" suffix
	ChildrenDepth    int  // "+2": 2; -1 when unlimited
	ChildrensParents bool // "@" prefix: descendants, and the ancestors of all of them
}

var (
	_ Expr = (*Union)(nil)
	_ Expr = (*Intersection)(nil)
	_ Expr = (*Difference)(nil)
	_ Expr = All{}
	_ Expr = (*Criterion)(nil)
)

func (u *Union) String() string        { return "union(" + join(u.Exprs) + ")" }
func (i *Intersection) String() string { return "intersection(" + join(i.Exprs) + ")" }
func (d *Difference) String() string {
	return "difference(" + d.Include.String() + ", " + d.Exclude.String() + ")"
}

// String returns "all".
func (All) String() string { return "all" }

func (c *Criterion) String() string {
	var b strings.Builder
	if c.ChildrensParents {
		b.WriteString("@")
	}
	if c.Parents {
		b.WriteString(depth(c.ParentsDepth) + "+")
	}
	b.WriteString(strings.Join(append([]string{string(c.Method)}, c.Args...), "."))
	b.WriteString(":" + c.Value)
	if c.Children {
		b.WriteString("+" + depth(c.ChildrenDepth))
	}
	return b.String()
}

func depth(d int) string {
	if d < 0 {
		return ""
	}
	return strconv.Itoa(d)
}

func join(exprs []Expr) string {
	parts := make([]string, len(exprs))
	for i, e := range exprs {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}
