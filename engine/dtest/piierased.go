package dtest

import (
	"context"

	"github.com/dwmhq/dwm/engine/dtest/generic"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/pii"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// erasureMargin is how long before its last pass read the clock pii_erased looks back for
// erasures: one whose log insert (a single small INSERT) was still in flight then carries an
// earlier time. In dwm build none is (the test waits for every subject model), so the margin only
// re-checks the subjects erased just before.
const erasureMargin = "INTERVAL 1 MINUTE"

// piiErasedSQL batch-scopes a pii_erased test on a batched model: once it has passed, it checks the
// model's rows added since (for every erased subject) and its older rows only for the subjects
// erased since that pass (the erasure log's time against the pass's tested_at, which is the
// warehouse clock read before the check). Older rows of subjects erased before were clean when it
// passed, and an erasure only blanks: what is left to find is a changed row, which --full finds.
// The other tables of the model (quarantine, versions) are checked whole.
func (r *Runner) piiErasedSQL(ctx context.Context, wh warehouse.Warehouse, n, parent *manifest.Node, cols []warehouse.Column,
	def *generic.Def, in generic.Input, targets []pii.Target, full string) (string, []*batchScope, error) {
	scope, err := scopeOf(n)
	if err != nil || r.opts.Full || scope == ScopeFull {
		return full, nil, err
	}
	sc, err := r.scopeOn(ctx, wh, n, parent, cols, scope, "", full)
	if err != nil || sc == nil {
		return full, nil, err
	}
	res, err := wh.Query(ctx, "SELECT toString(now())")
	if err != nil || len(res.Rows) != 1 {
		return full, nil, nil
	}
	sc.at = "toDateTime(" + manifest.QuoteString(res.String(0, 0)) + ")"
	if sc.from == 0 || sc.lastAt == "" {
		return full, []*batchScope{sc}, nil
	}
	since := "toDateTime(" + manifest.QuoteString(sc.lastAt) + ") - " + erasureMargin
	in.Erasure = nil
	for _, t := range targets {
		if t.Table == parent.Relation() {
			in.Erasure = append(in.Erasure, t.FailingSQLAfter(sc.batch.Column, sc.from, since))
		} else {
			in.Erasure = append(in.Erasure, t.FailingSQL())
		}
	}
	sql, err := def.Build(in)
	return sql, []*batchScope{sc}, err
}
