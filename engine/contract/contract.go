// Package contract compares a model's declared columns (YAML data_type and constraints) with the
// columns its SQL produces, as the engine describes them. It is pure: the caller asks the engine
// (DESCRIBE (query)) and normalises the declared types; this package only decides.
package contract

import (
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
)

// Column is one column the SQL produces, in order.
type Column struct {
	Name string
	Type string
}

// Mismatch is one column that breaks the contract.
type Mismatch struct {
	Column   string
	Declared string // the contract's type, "" when the column is not in the contract
	Actual   string // the SQL's type, "" when the SQL does not produce the column
	Reason   string
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s: %s (declared %s, actual %s)", m.Column, m.Reason, orNone(m.Declared), orNone(m.Actual))
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Error is an enforced contract that the SQL does not meet.
type Error struct {
	Model      string
	Mismatches []Mismatch
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "contract of %s is not met, nothing was written:", e.Model)
	for _, m := range e.Mismatches {
		b.WriteString("\n  " + m.String())
	}
	return b.String()
}

// Check compares an enforced contract: every column of the SQL must be declared with the same
// name and type (declared holds each column's type as the engine normalised it), none may be
// missing, and a not_null column may not be Nullable. Order does not matter, as in dbt.
func Check(model string, cols []manifest.Column, declared map[string]string, actual []Column) error {
	var out []Mismatch
	got := map[string]string{}
	for _, a := range actual {
		got[a.Name] = a.Type
	}
	inContract := map[string]bool{}
	for _, c := range cols {
		inContract[c.Name] = true
		want := declared[c.Name]
		have, ok := got[c.Name]
		switch {
		case c.DataType == "":
			out = append(out, Mismatch{Column: c.Name, Actual: have, Reason: "no data_type in the contract (an enforced contract needs one per column)"})
		case !ok:
			out = append(out, Mismatch{Column: c.Name, Declared: want, Reason: "missing from the SQL"})
		case want != have:
			out = append(out, Mismatch{Column: c.Name, Declared: want, Actual: have, Reason: "data type mismatch"})
		}
		if ok && hasNotNull(c) && Nullable(have) {
			out = append(out, Mismatch{Column: c.Name, Declared: want, Actual: have, Reason: "constraint not_null, but the SQL's type is Nullable"})
		}
	}
	for _, a := range actual {
		if !inContract[a.Name] {
			out = append(out, Mismatch{Column: a.Name, Actual: a.Type, Reason: "not in the contract"})
		}
	}
	if len(out) == 0 {
		return nil
	}
	return &Error{Model: model, Mismatches: out}
}

// Warnings compares declared data types without a contract: a difference is worth telling, not
// stopping for (dbt ignores them; the issue asked for a warning).
func Warnings(cols []manifest.Column, declared map[string]string, actual []Column) []string {
	got := map[string]string{}
	for _, a := range actual {
		got[a.Name] = a.Type
	}
	var out []string
	for _, c := range cols {
		have, ok := got[c.Name]
		if c.DataType == "" || !ok || declared[c.Name] == have {
			continue
		}
		out = append(out, fmt.Sprintf("column %s: declared data_type %s, built %s (no contract is enforced, so it was built anyway)", c.Name, declared[c.Name], have))
	}
	return out
}

func hasNotNull(c manifest.Column) bool {
	for _, k := range c.Constraints {
		if k == "not_null" {
			return true
		}
	}
	return false
}

// Nullable reports whether a ClickHouse type admits NULL (Nullable(T), also inside LowCardinality).
func Nullable(t string) bool {
	t = strings.TrimSpace(t)
	if inner, ok := strings.CutPrefix(t, "LowCardinality("); ok {
		t = inner
	}
	return strings.HasPrefix(t, "Nullable(")
}

// Declares reports whether a model has anything to check: an enforced contract or a data_type.
func Declares(n *manifest.Node) bool {
	if manifest.ContractEnforced(n.Config.Raw) {
		return true
	}
	for _, c := range n.Columns {
		if c.DataType != "" {
			return true
		}
	}
	return false
}
