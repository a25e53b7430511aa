package selector

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ParseError reports a selector that cannot be parsed, naming the offending token.
type ParseError struct {
	Token  string // the criterion, word or flag value at fault
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid selector %q: %s", e.Token, e.Reason)
}

// Selection is a parsed --select / --exclude pair.
type Selection struct {
	// Expr is the whole selection: the union of the selects (All when there are none),
	// wrapped in a Difference when there are excludes.
	Expr Expr
}

// String renders the expression tree for debugging.
func (s *Selection) String() string { return s.Expr.String() }

// Parse parses --select and --exclude values as dbt does: each value is split on whitespace
// into words that are unioned, each word is split on commas into criteria that are
// intersected, and the union of the excludes is subtracted from the union of the selects.
func Parse(selects, excludes []string) (*Selection, error) {
	var include Expr = All{}
	if len(selects) > 0 {
		u, err := ParseUnion(selects)
		if err != nil {
			return nil, err
		}
		include = u
	}
	if len(excludes) == 0 {
		return &Selection{Expr: include}, nil
	}
	exclude, err := ParseUnion(excludes)
	if err != nil {
		return nil, err
	}
	return &Selection{Expr: &Difference{Include: include, Exclude: exclude}}, nil
}

// ParseUnion parses flag values into the union of their words; a single word or criterion is
// returned as itself rather than wrapped.
func ParseUnion(values []string) (Expr, error) {
	var words []Expr
	for _, v := range values {
		fields := strings.Fields(v)
		if len(fields) == 0 {
			return nil, &ParseError{Token: v, Reason: "empty selection"}
		}
		for _, word := range fields {
			e, err := parseWord(word)
			if err != nil {
				return nil, err
			}
			words = append(words, e)
		}
	}
	if len(words) == 1 {
		return words[0], nil
	}
	return &Union{Exprs: words}, nil
}

// parseWord parses "a,b,c" into the intersection of its criteria.
func parseWord(word string) (Expr, error) {
	parts := strings.Split(word, ",")
	criteria := make([]Expr, 0, len(parts))
	for _, p := range parts {
		if p == "" {
			return nil, &ParseError{Token: word, Reason: "empty criterion between commas"}
		}
		c, err := ParseCriterion(p)
		if err != nil {
			return nil, err
		}
		criteria = append(criteria, c)
	}
	if len(criteria) == 1 {
		return criteria[0], nil
	}
	return &Intersection{Exprs: criteria}, nil
}

// methodPart is what dbt accepts before the colon as a method (with arguments).
var methodPart = regexp.MustCompile(`^[\w.]+$`)

// ParseCriterion parses one criterion: [@][N+][method[.arg...]:]value[+N].
func ParseCriterion(raw string) (*Criterion, error) {
	c := &Criterion{Raw: raw, ParentsDepth: -1, ChildrenDepth: -1}
	fail := func(format string, args ...any) (*Criterion, error) {
		return nil, &ParseError{Token: raw, Reason: fmt.Sprintf(format, args...)}
	}
	s := raw
	if rest, ok := strings.CutPrefix(s, "@"); ok {
		c.ChildrensParents, s = true, rest
	}
	// "N+" prefix; digits not followed by "+" belong to the value ("2019_orders").
	digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
	if digits < len(s) && s[digits] == '+' {
		c.Parents = true
		if digits > 0 {
			d, err := strconv.Atoi(s[:digits])
			if err != nil {
				return fail("malformed depth %q", s[:digits])
			}
			c.ParentsDepth = d
		}
		s = s[digits+1:]
	}
	// "+N" suffix: the last "+" followed only by digits.
	if i := strings.LastIndexByte(s, '+'); i >= 0 && strings.Trim(s[i+1:], "0123456789") == "" {
		c.Children = true
		if i+1 < len(s) {
			d, err := strconv.Atoi(s[i+1:])
			if err != nil {
				return fail("malformed depth %q", s[i+1:])
			}
			c.ChildrenDepth = d
		}
		s = s[:i]
	}
	if c.ChildrensParents && c.Children {
		return fail(`the "@" prefix and a "+" suffix cannot be combined`)
	}
	if i := strings.IndexByte(s, ':'); i >= 0 && methodPart.MatchString(s[:i]) {
		parts := strings.Split(s[:i], ".")
		c.Method, c.Args, s = Method(parts[0]), parts[1:], s[i+1:]
	} else if i == 0 {
		return fail("missing method name before %q", ":")
	}
	c.Value = s
	if c.Value == "" {
		return fail("no value to select")
	}
	if strings.ContainsAny(c.Value, "+@") {
		return fail("malformed graph operator: use [@][N+]selector[+N] with N a number")
	}
	if c.Method == "" {
		c.Method = defaultMethod(c.Value)
	}
	if err := c.Method.validate(c.Args, c.Value); err != nil {
		return fail("%s", err.Error())
	}
	return c, nil
}

// defaultMethod is dbt's choice for a value written without a method: something with a slash
// is a path, a file name is a file, anything else a fully qualified name.
func defaultMethod(value string) Method {
	switch {
	case strings.Contains(value, "/"):
		return MethodPath
	case strings.HasSuffix(strings.ToLower(value), ".sql"),
		strings.HasSuffix(strings.ToLower(value), ".py"),
		strings.HasSuffix(strings.ToLower(value), ".csv"):
		return MethodFile
	default:
		return MethodFQN
	}
}
