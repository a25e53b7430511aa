package cdc

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// batchSpec is one batch of an scd2 model: which rows of the input it applies and what its ledger
// row records about them.
type batchSpec struct {
	n     uint64
	what  string // "staging file 2", "cursor range (a, b]", for step labels
	where string // selects the batch's rows of the input
	// below, for a relation input whose rows at or below the committed mark grew since the commit,
	// selects those rows: the ones that match no change the model already knows arrived late.
	below string
	// A staging batch records the file it consumed; a cursor batch the new mark.
	prevSeq uint64
	file    StagedFile
	cursor  *CursorBatch
}

// batchSpecs are the batches a run applies, in order: one per staging file, or one cursor range.
func batchSpecs(b *SCD2Batch) []batchSpec {
	var out []batchSpec
	if st := b.Staging; st != nil {
		prev := st.LastSeq
		for i, f := range st.Files {
			seq := strconv.FormatUint(f.Seq, 10)
			out = append(out, batchSpec{n: b.Committed + uint64(i) + 1, what: "staging file " + seq, where: "_load_seq = " + seq, prevSeq: prev, file: f})
			prev = f.Seq
		}
	}
	if c := b.Cursor; c != nil && !c.Empty() {
		spec := batchSpec{n: b.Committed + 1, what: "cursor range (" + c.From + ", " + c.To + "]", where: c.rangeCond(), cursor: c}
		if c.LateCheck() {
			spec.below = c.belowCond()
		}
		out = append(out, spec)
	}
	return out
}

// batchSteps apply one batch. Every write before the ledger row goes to partitions with
// _batch = n (of `<model>__versions`, `__current_parts`, `__quarantine`, `__superseded`),
// invisible until the commit, so a crash anywhere before it leaves nothing a reader sees and
// nothing the next run keeps.
//
// Each delivered row is exactly one of (docs/materializations.md states the rules):
//   - dup: the same key, timestamp and values (deletes differ from upserts, INSERT and UPDATE do
//     not) as an earlier row of the batch, or as a change the model already knows (a version, a
//     change overtaken, a quarantined change); ignored;
//   - superseded: a later delivery of the key at the same timestamp has other values, and the
//     last delivery is the state from that instant on; kept in `__superseded`, not a version;
//   - late: older than the key's current version, or (relation inputs) delivered with a cursor at
//     or below the committed mark; quarantined;
//   - bad: an operation the format does not know; quarantined;
//   - new: one version each. A new change at the current version's own timestamp replaces that
//     version (same version number, no zero-length version), which goes to `__superseded`.
func batchSteps(in materialize.Input, s *scd2Shape, b *SCD2Batch, spec batchSpec) []materialize.Step {
	N, P := strconv.FormatUint(spec.n, 10), strconv.FormatUint(spec.n-1, 10)
	sfx := in.Suffix + "b" + N
	chg := materialize.TempRelation(s.target, sfx+"chg")
	cur := materialize.TempRelation(s.target, sfx+"cur")
	cls := materialize.TempRelation(s.target, sfx+"cls")
	nv := materialize.TempRelation(s.target, sfx+"new")
	fold := materialize.TempRelation(s.target, sfx+"fold")
	k, ka := s.k, s.ka()
	keyTuple := "(" + k + ")"
	sentinel := "CAST(" + manifest.QuoteString(openValidTo) + " AS " + s.tsType + ")"
	vcols := s.versionColumns()
	vlist := columnNames(vcols)
	inputCols := columnNames(s.input)
	prefix := "batch " + N + ": "
	// Erased subjects' personal values are blanked as they arrive, the way a scrub blanks the
	// history: a re-delivered change of an erased subject is then a duplicate, not a late change.
	sql, setup := materialize.BlankErased(trimSQL(in.SQL), s.hasInput, in.Erasures)
	// __superseded keeps only hashes; each row also gets the hash its change has once its subject
	// is erased, which an erasure puts in place of the hash of the personal values (SCD2.Rehash).
	erased := s.erasedColumns(in.Erasures)

	// The input's rows with what every later step needs; _below marks rows behind the cursor.
	deletes := s.format.deletes(s.op)
	rows := func(where, below string) string {
		return "SELECT " + ka + ", " + text(s.op) + " AS _op, " + s.ts + " AS _ts, " + deletes + " AS _del, " + s.format.known(s.op) +
			" AS _known, " + s.hash(deletes) + " AS _hash, " + s.order + " AS _ord, " + inputCols + ", " + below + " AS _below FROM (\n" + sql + "\n) WHERE " + where
	}
	// seen are the changes the model knows as of batch P, as (key, timestamp, hash): its versions,
	// the changes overtaken at their instant, and the quarantined changes.
	seen := func(keys string) string {
		restrict := ""
		if keys != "" {
			restrict = " AND " + keyTuple + " IN (" + keys + ")"
		}
		return "SELECT " + k + ", valid_from AS _ts, " + s.versionHash() + " AS _hash FROM " + s.versions.String() + " WHERE " + s.visibleAt(P) + restrict +
			" UNION ALL SELECT " + k + ", _ts, _hash FROM " + s.superseded.String() + " WHERE _batch <= " + P + restrict +
			" UNION ALL SELECT " + k + ", " + s.ts + ", _hash FROM " + s.quar.String() + " WHERE _batch <= " + P + restrict
	}
	input := rows(spec.where, "false")
	if spec.below != "" {
		// An anti join, not NOT IN: the right side is the whole history.
		input += "\nUNION ALL SELECT " + ka + ", _op, _ts, _del, _known, _hash, _ord, " + inputCols + ", _below FROM (" + rows(spec.below, "true") +
			") AS r LEFT ANTI JOIN (" + seen("") + ") AS s USING (" + k + ", _ts, _hash)"
	}
	// Windows per key and instant: _first marks the first delivery of each distinct value (a row
	// behind the cursor that repeats one of the batch's rows is not first) and _last_hash is the
	// value delivered last (the state from that instant on); the first delivery of that value is
	// the one applied. Invalid rows, and rows behind the cursor, stand apart.
	inst := "PARTITION BY " + k + ", _ts, _known, _below"
	lastFirst := " ORDER BY _ord DESC, _hash DESC"
	late := "concat(" + manifest.QuoteString("late change: "+s.cfg.ts+" ") + ", toString(_ts), " +
		manifest.QuoteString(" is before the current version's valid_from ") + ", toString(_cur_from))"
	reason := "multiIf(_class = 'bad', concat(" + manifest.QuoteString("unknown "+s.cfg.op+" '") + ", _op, " +
		manifest.QuoteString("' (expected "+s.format.expected+")") + "), _below, " + belowReason(s, spec) + ", " + late + ")"
	// candidates are the changed keys whose changes may repeat something the model knows.
	candidates := "SELECT " + k + " FROM " + chg.String() + " INNER JOIN " + cur.String() + " USING (" + k + ") WHERE NOT _below AND _ts <= _cur_from"
	// touched are the current partitions (as of P) that hold a key with a new version; rewritten
	// are those and the small ones folded with them (foldQuery).
	touched := "SELECT DISTINCT _cur_source FROM " + cur.String() + " WHERE " + keyTuple + " IN (SELECT " + k + " FROM " + nv.String() + ")"
	rewritten := touched + " UNION ALL SELECT source FROM " + fold.String()
	ordered := "PARTITION BY " + k + " ORDER BY _ts, _ord"
	caps := in.Caps
	var steps []materialize.Step
	for _, q := range setup {
		steps = append(steps, materialize.Step{Purpose: prefix + "open the erasure log", SQL: q})
	}
	// Scratch tables are created empty and then filled (createFilled): a CREATE TABLE ... AS
	// SELECT killed in the middle leaves a table no later run can claim, and run ON CLUSTER it
	// would run its SELECT on every node into one replicated table.
	steps = append(steps, createFilled(prefix+"read the changes of "+spec.what, chg, "tuple()", "SELECT *, "+
		"row_number() OVER (PARTITION BY "+k+", _ts, _known, _hash ORDER BY _below, _ord) = 1 AS _first, "+
		"first_value(_hash) OVER ("+inst+lastFirst+") AS _last_hash FROM (\n"+input+"\n)", "", caps)...)
	steps = append(steps, createFilled(prefix+"read the current versions of the changed keys", cur, "tuple()",
		"SELECT "+k+", valid_from AS _cur_from, version AS _cur_version, "+s.versionHash()+
			" AS _cur_hash, "+blankedHash(s.attrs, erased, "NOT is_active")+" AS _cur_hash_erased, _batch AS _cur_source FROM "+s.versions.String()+" WHERE "+s.currentAt(P)+" AND "+keyTuple+
			" IN (SELECT "+k+" FROM "+chg.String()+")", "", caps)...)
	steps = append(steps, createFilled(prefix+"classify the changes", cls, "tuple()", "SELECT *, multiIf("+
		"_below, if(_first, 'late', 'dup'), "+
		"NOT _known, 'bad', "+
		"_hash != _last_hash, if(_first, 'superseded', 'dup'), "+
		"NOT _first, 'dup', "+
		"_cur_version = 0 OR _ts > _cur_from, 'new', "+
		"("+k+", _ts, _hash) IN ("+seen(candidates)+"), 'dup', "+
		"_ts = _cur_from, 'new', 'late') AS _class FROM "+chg.String()+" LEFT JOIN "+cur.String()+
		" USING ("+k+") SETTINGS join_use_nulls = 0", "", caps)...)
	steps = append(steps, insert(prefix+"quarantine late changes and unknown operations", s.quar, ka+", "+s.op+", "+
		s.ts+", "+inputCols+", _batch, reason, _hash", "SELECT "+ka+", _op, _ts, "+inputCols+", "+N+", "+reason+
		", _hash FROM "+cls.String()+" WHERE _class IN ('late', 'bad')", caps)...)
	steps = append(steps, createFilled(prefix+"number the new versions", nv, "tuple()", "SELECT "+ka+
		", _del, _ts, _hash, _cur_version, _cur_from, _cur_hash, _cur_hash_erased, "+
		// A first change at the current version's instant replaces that version.
		"_cur_version - toUInt32(_cur_version > 0 AND min(_ts) OVER (PARTITION BY "+k+") = _cur_from) AS _base, "+
		"row_number() OVER ("+ordered+") AS _rn, count() OVER (PARTITION BY "+k+") AS _cnt, "+
		"leadInFrame(_ts) OVER ("+ordered+" ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS _next FROM "+cls.String()+
		" WHERE _class = 'new'", "", caps)...)
	steps = append(steps, insert(prefix+"keep the overtaken changes and replaced versions", s.superseded, k+
		", _ts, _hash, replaced, _batch, _hash_erased", "SELECT "+k+", _ts, _hash, false, "+N+", "+blankedHash(s.attrs, erased, "_del")+
		" FROM "+cls.String()+" WHERE _class = 'superseded'"+
		" UNION ALL SELECT "+k+", _cur_from, _cur_hash, true, "+N+", _cur_hash_erased FROM "+nv.String()+" WHERE _rn = 1 AND _cur_version > 0 AND _ts = _cur_from", caps)...)
	written := insert(prefix+"write the new versions", s.versions, vlist, "SELECT "+ka+
		", _ts, if(_rn = _cnt, "+sentinel+", _next), _rn = _cnt, toUInt32(_base + _rn), NOT _del, "+
		manifest.QuoteString(b.SourceSystem)+", _ts, if(_rn = _cnt, _ts, _next), _hash, "+N+" FROM "+nv.String(), caps)
	written[0].CountRows = true
	steps = append(steps, written...)
	steps = append(steps, insert(prefix+"close the replaced versions", s.versions, vlist, "SELECT "+ka+
		", valid_from, _first_ts, false, version, is_active, source_system, inserted_at, _first_ts, _hash, "+N+" FROM "+s.versions.String()+
		" INNER JOIN (SELECT "+k+", min(_ts) AS _first_ts FROM "+nv.String()+" GROUP BY "+k+") AS f USING ("+k+") WHERE "+s.currentAt(P)+
		" AND "+keyTuple+" IN (SELECT "+k+" FROM "+nv.String()+") AND valid_from < _first_ts", caps)...)
	steps = append(steps, createShaped(prefix+"choose the small current partitions to fold", fold, "tuple()", "SELECT toUInt64(0) AS source",
		foldQuery(s, P, touched, nv), "", caps)...)
	steps = append(steps, insert(prefix+"rewrite the unchanged current versions of the partitions holding changed keys and of those folded", s.versions, vlist,
		"SELECT "+columnNames(vcols[:len(vcols)-1])+", "+N+" FROM "+s.versions.String()+
			" WHERE is_current AND _batch IN ("+rewritten+") AND "+keyTuple+" NOT IN (SELECT "+k+" FROM "+nv.String()+")", caps)...)
	steps = append(steps, insert(prefix+"list the current partitions", s.parts, "batch, source", "SELECT "+N+
		", source FROM "+s.parts.String()+" WHERE batch = "+P+" AND source NOT IN ("+rewritten+") UNION ALL SELECT "+N+", "+N, caps)...)
	steps = append(steps, commitBatch(in, s, spec, chg, cls, nv))
	for _, t := range []materialize.Relation{chg, cur, cls, nv, fold} {
		steps = append(steps, materialize.Step{Purpose: prefix + "drop " + t.String(), SQL: dropTable(t, caps)})
	}
	return append(steps, dropReplaced(s, prefix, N, in.Caps)...)
}

// belowReason explains a row that arrived behind the cursor.
func belowReason(s *scd2Shape, spec batchSpec) string {
	if spec.cursor == nil || spec.below == "" {
		return "''"
	}
	c := spec.cursor
	return "concat(" + manifest.QuoteString(c.Column+" ") + ", toString(" + manifest.QuoteIdent(c.Column) + "), " +
		manifest.QuoteString(" is at or below "+c.From+", the cursor committed before it arrived") + ")"
}

// batchCounts are a batch's ledger counts, each counted from the rows the batch wrote.
type batchCounts struct {
	delivered, inRange, loaded, duplicates, superseded, quarantined uint64
}

// commitBatch commits the batch with its ledger row. The counts are read from what the batch
// wrote (versions, quarantine, overtaken changes) and from its input, then reconciled: every
// delivered row must be exactly one of new, duplicate, superseded or quarantined. A batch that
// does not reconcile is not committed, and the run stops with the numbers.
func commitBatch(in materialize.Input, s *scd2Shape, spec batchSpec, chg, cls, nv materialize.Relation) materialize.Step {
	N := strconv.FormatUint(spec.n, 10)
	model := modelKey(in.Node)
	query := "SELECT (SELECT count() FROM " + chg.String() + ") AS delivered, (SELECT countIf(NOT _below) FROM " + chg.String() + ") AS in_range, " +
		"(SELECT count() FROM " + s.versions.String() + " WHERE _batch = " + N + " AND (" + s.k + ", valid_from) IN (SELECT " + s.k + ", _ts FROM " +
		nv.String() + ")) AS loaded, (SELECT countIf(_class = 'dup') FROM " + cls.String() + ") AS duplicates, " +
		"(SELECT count() FROM " + s.superseded.String() + " WHERE _batch = " + N + " AND NOT replaced) AS superseded, " +
		"(SELECT count() FROM " + s.quar.String() + " WHERE _batch = " + N + ") AS quarantined"
	return materialize.Step{Purpose: "batch " + N + ": reconcile and commit in the ledger", SQL: query,
		Expand: func(res *warehouse.Result) ([]string, error) {
			if len(res.Rows) != 1 {
				return nil, fmt.Errorf("counting batch %s: %d rows", N, len(res.Rows))
			}
			v, err := parseUints(res, 0, 6)
			if err != nil {
				return nil, err
			}
			c := batchCounts{delivered: v[0], inRange: v[1], loaded: v[2], duplicates: v[3], superseded: v[4], quarantined: v[5]}
			if sum := c.loaded + c.duplicates + c.superseded + c.quarantined; sum != c.delivered {
				return nil, fmt.Errorf("batch %s of %s does not reconcile, so it is not committed: %d rows delivered, but %d new versions + %d duplicates + %d superseded + %d quarantined = %d",
					N, model, c.delivered, c.loaded, c.duplicates, c.superseded, c.quarantined, sum)
			}
			return append([]string{ledgerRow(s, spec, model, c, in.Caps)}, syncSQL(s.ledger, in.Caps)...), nil
		}}
}

// ledgerRow is the INSERT of a batch's ledger row with its counts.
func ledgerRow(s *scd2Shape, spec batchSpec, model string, c batchCounts, caps warehouse.Capabilities) string {
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	seqFrom, seqTo, cursorTo, cursorRows := "0", "0", "''", "0"
	if spec.cursor != nil {
		cursorTo = manifest.QuoteString(spec.cursor.To)
		cursorRows = u(spec.cursor.Below + c.inRange)
	} else {
		seqFrom, seqTo = u(spec.prevSeq), u(spec.file.Seq)
	}
	vals := []string{manifest.QuoteString(model), "'batch'", u(spec.n), seqFrom, seqTo, manifest.QuoteString(spec.file.Path),
		manifest.QuoteString(spec.file.SHA256), cursorTo, cursorRows, u(c.delivered), u(c.loaded), u(c.duplicates), u(c.superseded),
		u(c.quarantined), "now()"}
	return materialize.InsertInto(s.ledger, "model, kind, batch, seq_from, seq_to, file, sha256, cursor_to, cursor_rows, delivered, loaded,"+
		" duplicates, superseded, quarantined, loaded_at", caps) + " SELECT " + strings.Join(vals, ", ")
}
