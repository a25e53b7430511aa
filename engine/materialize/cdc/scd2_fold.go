package cdc

import "github.com/dwmhq/dwm/engine/materialize"

// foldQuery selects the current partitions listed for batch P that batch N folds into its own
// partition (N, 1) besides the touched ones, whose unchanged rows it copies anyway. Without it a
// model whose keys never change after their batch (ligue_assignment) adds one small partition per
// batch for ever, and every batch and every reader of the view pays for each of them.
//
// The rule is size-tiered with fanout 2, the way an LSM tree merges runs: going from the newest
// untouched partition to older ones, a partition is folded while it holds no more rows than
// everything folded so far plus N's own current versions (its new versions and the touched
// partitions' rows), and folding stops at the first larger one. With equal batches this is a
// binary counter: at most log2(batches)+1 partitions stay listed, and each row is copied at most
// log2(batches) times (batch 2^k copies every current version once, which a batch whose changes
// touch every partition does every time). Empty listed partitions (a batch with no new version)
// always fold.
//
// The choice is a pure function of the committed state and the batch, and it only reads: the
// partitions it names are rewritten into (N, 1) and left out of N's list like touched ones, so
// the commit (ledger row) and the drops after it (dropReplaced) are those of any batch, and a kill
// before the commit leaves only partitions _batch = N, which the next run drops.
func foldQuery(s *scd2Shape, P, touched string, nv materialize.Relation) string {
	rowsOf := "SELECT _batch AS source, count() AS n FROM " + s.versions.String() + " WHERE " + s.currentAt(P) + " GROUP BY _batch"
	// Every listed partition (a listed partition may be empty) with its rows.
	sizes := "SELECT l.source AS source, ifNull(c.n, 0) AS n, l.source IN (" + touched + ") AS _touched FROM (SELECT source FROM " +
		s.parts.String() + " WHERE batch = " + P + ") AS l LEFT JOIN (" + rowsOf + ") AS c USING (source)"
	newest := "OVER (ORDER BY source DESC ROWS BETWEEN UNBOUNDED PRECEDING AND "
	// _small: no more rows than N's new current versions, the touched partitions and the newer
	// untouched ones; touched partitions are rewritten anyway and do not stop the run.
	small := "SELECT source, _touched, n <= (SELECT count() FROM " + nv.String() + " WHERE _rn = _cnt) + sum(if(_touched, n, 0)) OVER () + " +
		"sum(if(_touched, 0, n)) " + newest + "1 PRECEDING) AS _small FROM (" + sizes + ")"
	return "SELECT source FROM (SELECT source, _touched, min(_small OR _touched) " + newest + "CURRENT ROW) AS _fold FROM (" + small +
		")) WHERE _fold AND NOT _touched"
}
