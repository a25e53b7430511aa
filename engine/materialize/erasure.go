package materialize

import (
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Erasure is one data subject's erasure log as a model's incoming rows see it (docs/gdpr.md): a
// row whose Key is among the erased keys has its personal-data Columns blanked before the
// materialization compares, dedupes or stores it. Blanked exactly as a scrub blanks them, a
// re-delivered row of an erased subject equals the scrubbed row the model already holds.
type Erasure struct {
	Key     string   // the subject's key column
	Columns []string // the model's personal-data columns
	Keys    string   // a subquery giving the erased keys as text
	Setup   string   // creates the log, so that Keys can be read on a warehouse that has none yet
}

// BlankErased wraps the SELECT sql so that erased subjects' personal values are blanked: each
// personal-data column the input has (has reports it) becomes its type's default (” for String,
// NULL for Nullable) on the rows of an erased key. It returns sql unchanged, and no setup, when no
// erasure applies to the input's columns.
func BlankErased(sql string, has func(string) bool, es []Erasure) (string, []string) {
	conds := map[string][]string{}
	var cols, setup []string
	for _, e := range es {
		if !has(e.Key) {
			continue
		}
		used := false
		for _, c := range e.Columns {
			if !has(c) || c == e.Key {
				continue
			}
			if conds[c] == nil {
				cols = append(cols, c)
			}
			conds[c] = append(conds[c], "toString("+manifest.QuoteIdent(e.Key)+") IN "+e.Keys)
			used = true
		}
		if used {
			setup = append(setup, e.Setup)
		}
	}
	if len(cols) == 0 {
		return sql, nil
	}
	var repl []string
	for _, c := range cols {
		q := manifest.QuoteIdent(c)
		repl = append(repl, "if("+strings.Join(conds[c], " OR ")+", defaultValueOfArgumentType("+q+"), "+q+") AS "+q)
	}
	return "SELECT * REPLACE (" + strings.Join(repl, ", ") + ") FROM (\n" + sql + "\n)", setup
}

// Recompute is a column a materialization derives from a row's other columns (scd2: the hash
// identifying a change), with the expression that gives its value once the row's personal-data
// columns are blanked.
type Recompute struct {
	Column string
	Expr   string
}

// Rehasher is implemented by a materialization whose tables keep values computed from a row's
// columns. Erasure blanks a row's personal-data columns; a hash of the original values kept
// beside them would still be derived from the erased data (a guessed value could be confirmed
// against it), and would differ from what a rebuild from the blanked input computes. The erasure
// scrub sets each Recompute in the same mutation that blanks the columns.
type Rehasher interface {
	// Rehash returns what to recompute in table (the model's relation or a table beside it, with
	// its columns in order) when the columns blanked are blanked. None when table keeps nothing
	// derived.
	Rehash(n *manifest.Node, table string, cols []warehouse.Column, blanked []string) []Recompute
}

// Rehash asks n's materialization what to recompute in table when blanked are blanked.
func (r *Registry) Rehash(n *manifest.Node, table string, cols []warehouse.Column, blanked []string) []Recompute {
	m, err := r.forNode(n)
	if err != nil {
		return nil
	}
	if rh, ok := m.(Rehasher); ok {
		return rh.Rehash(n, table, cols, blanked)
	}
	return nil
}

// BlankedExpr is column c's value with the columns in blanked at their type's default, as a
// scrub leaves them.
func BlankedExpr(c string, blanked map[string]bool) string {
	q := manifest.QuoteIdent(c)
	if blanked[c] {
		return "defaultValueOfArgumentType(" + q + ")"
	}
	return q
}
