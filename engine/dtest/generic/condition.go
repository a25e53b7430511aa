package generic

import (
	"fmt"
	"regexp"
	"strconv"
)

// Condition is a warn_if / error_if threshold such as "!=0" or ">10", applied to the number of
// failing rows.
type Condition struct {
	Op string
	N  int64
}

var condRe = regexp.MustCompile(`^\s*(>=|<=|!=|<>|==|=|>|<)\s*(-?\d+)\s*$`)

// DefaultCondition is dbt's default for both thresholds: any failing row counts.
const DefaultCondition = "!=0"

// ParseCondition parses a threshold; "" means DefaultCondition.
func ParseCondition(s string) (Condition, error) {
	if s == "" {
		s = DefaultCondition
	}
	m := condRe.FindStringSubmatch(s)
	if m == nil {
		return Condition{}, fmt.Errorf("threshold %q must be a comparison with a number, like \"!=0\" or \">10\"", s)
	}
	n, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil {
		return Condition{}, fmt.Errorf("threshold %q: %w", s, err)
	}
	return Condition{Op: m[1], N: n}, nil
}

// Holds reports whether the failure count meets the condition.
func (c Condition) Holds(failures int64) bool {
	switch c.Op {
	case ">":
		return failures > c.N
	case ">=":
		return failures >= c.N
	case "<":
		return failures < c.N
	case "<=":
		return failures <= c.N
	case "=", "==":
		return failures == c.N
	default: // "!=", "<>"
		return failures != c.N
	}
}

// String writes the condition as dbt prints it.
func (c Condition) String() string { return c.Op + strconv.FormatInt(c.N, 10) }
