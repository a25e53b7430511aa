package cdc

import (
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

var _ materialize.Rehasher = SCD2{}

// hashOf is the identity of a change (see scd2Shape.hash) from its tracked values, given as SQL
// expressions in the tracked columns' order, and whether it deletes.
func hashOf(attrs []string, deletes string) string {
	if len(attrs) == 0 {
		return "cityHash64(tuple(toUInt8(" + deletes + ")))"
	}
	return "cityHash64(tuple(" + strings.Join(attrs, ", ") + ", toUInt8(" + deletes + ")))"
}

// blankedHash is hashOf the tracked columns with those in blanked at their type's default: the
// identity the change has once its subject is erased, which is also what a batch computes for a
// change of an erased subject (BlankErased blanks it before it is hashed).
func blankedHash(attrs []warehouse.Column, blanked map[string]bool, deletes string) string {
	exprs := make([]string, len(attrs))
	for i, c := range attrs {
		exprs[i] = materialize.BlankedExpr(c.Name, blanked)
	}
	return hashOf(exprs, deletes)
}

// erasedColumns are the tracked columns a batch blanks for erased subjects (BlankErased's rule):
// an erasure's personal-data columns, when the input has the subject's key.
func (s *scd2Shape) erasedColumns(es []materialize.Erasure) map[string]bool {
	out := map[string]bool{}
	for _, e := range es {
		if !s.hasInput(e.Key) {
			continue
		}
		for _, c := range e.Columns {
			if c != e.Key && s.hasInput(c) {
				out[c] = true
			}
		}
	}
	return out
}

// Rehash implements materialize.Rehasher. The tables beside an scd2 model keep each change's
// identity, a hash of its tracked values (`_hash`): `__versions` and `__quarantine` next to the
// values, so it is recomputed from the blanked row; `__superseded` keeps only hashes, so each row
// also carries `_hash_erased`, the identity with the personal-data columns blanked, computed when
// the row was written, and an erasure takes it. Rows written before `_hash_erased` existed have
// 0 there: their hash is dropped rather than kept.
func (SCD2) Rehash(n *manifest.Node, table string, cols []warehouse.Column, blanked []string) []materialize.Recompute {
	cfg, err := configOf(n)
	if err != nil {
		return nil
	}
	b := map[string]bool{}
	for _, c := range blanked {
		b[c] = true
	}
	isKey := map[string]bool{}
	for _, k := range cfg.keys {
		isKey[k] = true
	}
	// attrsUntil are the tracked columns: after the key columns, up to the first column named stop.
	attrsUntil := func(stop string) []warehouse.Column {
		var out []warehouse.Column
		for _, c := range cols {
			if c.Name == stop {
				return out
			}
			if !isKey[c.Name] {
				out = append(out, c)
			}
		}
		return nil
	}
	hash := func(expr string) []materialize.Recompute {
		return []materialize.Recompute{{Column: "_hash", Expr: expr}}
	}
	switch {
	case !hasColumn(cols, "_hash"):
		return nil
	case table == n.Alias+versionsSuffix:
		return hash(blankedHash(attrsUntil("valid_from"), b, "NOT is_active"))
	case table == n.Alias+quarantineSuffix:
		f, err := formatOf(n, cols)
		if err != nil {
			return nil
		}
		op := cfg.op
		if op == "" {
			op = f.op
		}
		return hash(blankedHash(attrsUntil(op), b, f.deletes(manifest.QuoteIdent(op))))
	case table == n.Alias+supersededSuffix && hasColumn(cols, "_hash_erased"):
		return hash("_hash_erased")
	}
	return nil
}
