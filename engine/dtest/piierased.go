package dtest

import (
	"context"
	"strings"

	"github.com/dwmhq/dwm/engine/dtest/generic"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/pii"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// erasureMargin is how far before its last pass's start pii_erased looks back for erasures. The
// start already lies before every erasure INSERT in flight when the check began (startSQL), so
// the margin only covers the log's whole-second times and a small step of the server's clock.
const erasureMargin = "INTERVAL 5 SECOND"

// piiErasedSQL batch-scopes a pii_erased test on a batched model: once it has passed, it checks the
// model's rows added since (for every erased subject) and its older rows only for the subjects
// erased since that pass began (the erasure log's time against the pass's start, less
// erasureMargin). Older rows of subjects erased before were clean when it passed, and an erasure
// only blanks: what is left to find is a changed row, which --full finds. The other tables of the
// model (quarantine, versions) are checked whole.
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
	sc.at = "toDateTime(0)" // without a start, the next pass re-checks every erased subject
	if _, err := wh.Exec(ctx, sc.startSQL()); err == nil {
		sc.at = sc.startedSQL()
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

// startSQL notes, before the check runs, when it began: a row of batch 0 in dwm_tested whose
// tested_at lies before the check and before every INSERT into an erasure log still running then
// (their log time is their start; the longest one's elapsed time is taken off). An erasure logged
// earlier than that was committed, so the check saw it. The time is computed by the server in
// SQL, not read first, because a re-run of the same build must issue the same statements (the
// crash harness replays them).
func (sc *batchScope) startSQL() string {
	// INSERTs into a log, not every INSERT naming one: a load reading the log to blank erased
	// subjects' new rows (seconds long) would only push the start back for nothing. Comments may
	// come first (the embedded engine's kill tag).
	inflight := "(SELECT max(elapsed) FROM system.processes WHERE query_kind = 'Insert' AND match(query, " +
		manifest.QuoteString(`(?is)^\s*(?:(?:/\*.*?\*/|--[^\n]*\n)\s*)*INSERT\s+INTO\s+\S*`+pii.LogTable) + ") AND query_id != queryID())"
	return "INSERT INTO " + sc.tested.String() + " (" + testedColumns + ") SELECT " +
		strings.Join([]string{manifest.QuoteString(sc.test), manifest.QuoteString(sc.rel), manifest.QuoteString(sc.def),
			sc.uuid, "0", "now() - toIntervalSecond(toUInt64(ceil(" + inflight + ")))"}, ", ")
}

// startedSQL is the start a pass records: the earliest start noted since the last pass. It is this
// check's own start unless a check begun earlier never recorded its pass (killed, failed, or
// running beside this one), whose start is earlier still: the next pass then looks back further,
// never less far. No start gives 1970 (min of nothing), which re-checks every erased subject.
func (sc *batchScope) startedSQL() string {
	cond := "test = " + manifest.QuoteString(sc.test) + " AND definition = " + manifest.QuoteString(sc.def) +
		" AND table_uuid = " + sc.uuid + " AND batch = 0"
	if sc.lastAt != "" {
		cond += " AND tested_at > toDateTime(" + manifest.QuoteString(sc.lastAt) + ")"
	}
	return "(SELECT min(tested_at) FROM " + sc.tested.String() + " WHERE " + cond + ")"
}
