package dtest

import (
	"context"

	"github.com/dwmhq/dwm/engine/dtest/generic"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/pii"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// erasureMargin is how far before its last pass was recorded pii_erased looks back for erasures.
// The pass is recorded with now() after the check, so an erasure logged while the check ran (or
// whose insert was in flight when it began) has an earlier time; the margin covers checks up to an
// hour. The record stays SQL, not a time read before the check, because a re-run of the same build
// must issue the same statements (the crash tests replay them). In dwm build no erasure runs
// meanwhile (the test waits for every subject model): the margin only re-checks a few subjects.
const erasureMargin = "INTERVAL 1 HOUR"

// piiErasedSQL batch-scopes a pii_erased test on a batched model: once it has passed, it checks the
// model's rows added since (for every erased subject) and its older rows only for the subjects
// erased since that pass (the erasure log's time against the pass's tested_at, less
// erasureMargin). Older rows of subjects erased before were clean when it
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
