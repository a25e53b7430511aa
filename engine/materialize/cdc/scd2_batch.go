package cdc

import (
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
)

// batchSteps apply staging file seq as batch n. Every write before the ledger row goes to
// partitions with _batch = n (of `<model>__versions` and `<model>__current_parts`), invisible
// until the commit, so a crash anywhere before it leaves
// nothing a reader sees and nothing the next run keeps.
//
// A change is, in this order: a duplicate ("dup": the same key, timestamp and values as an
// earlier row of the file or as an applied version, ignored), late ("late": older than the key's
// current version from an earlier batch, quarantined) or new (one version each).
func batchSteps(in materialize.Input, s *scd2Shape, b *SCD2Batch, n, prevSeq, seq uint64) []materialize.Step {
	sfx := in.Suffix + "b" + strconv.FormatUint(n, 10)
	chg := materialize.TempRelation(s.target, sfx+"chg")
	cur := materialize.TempRelation(s.target, sfx+"cur")
	cls := materialize.TempRelation(s.target, sfx+"cls")
	nv := materialize.TempRelation(s.target, sfx+"new")
	N, P := strconv.FormatUint(n, 10), strconv.FormatUint(n-1, 10)
	k, ka := s.k, s.ka()
	keyTuple := "(" + k + ")"
	hashed := "tuple(" + s.a
	if s.a != "" {
		hashed += ", "
	}
	hashed += "_op)"
	sentinel := "CAST(" + manifest.QuoteString(openValidTo) + " AS " + s.tsType + ")"
	vcols := s.versionColumns()
	vlist := columnNames(vcols)
	prefix := "batch " + N + ": "

	changes := "SELECT " + ka + ", toString(" + s.op + ") AS _op, " + s.ts + " AS _ts, _row FROM (\n" +
		strings.TrimRight(strings.TrimSpace(in.SQL), "; \t\r\n") + "\n) WHERE _load_seq = " + strconv.FormatUint(seq, 10)
	applied := "SELECT " + k + ", valid_from, _hash FROM " + s.versions.String() + " WHERE " + s.visibleAt(P) + " AND " + keyTuple + " IN (SELECT " + k + " FROM " + chg.String() +
		" INNER JOIN " + cur.String() + " USING (" + k + ") WHERE _ts < _cur_from)"
	late := "concat(" + manifest.QuoteString("late change: "+s.cfg.ts+" ") + ", toString(_ts), " +
		manifest.QuoteString(" is before the current version's valid_from ") + ", toString(_cur_from))"
	// touched are the current partitions (as of P) that hold a key with a new version.
	touched := "SELECT DISTINCT _cur_source FROM " + cur.String() + " WHERE " + keyTuple + " IN (SELECT " + k + " FROM " + nv.String() + ")"
	return append([]materialize.Step{
		{Purpose: prefix + "read the changes of staging file " + strconv.FormatUint(seq, 10), SQL: "CREATE TABLE " + chg.String() +
			" ENGINE = MergeTree ORDER BY tuple() AS SELECT *, row_number() OVER (PARTITION BY " + k + ", _ts, _hash ORDER BY _row) = 1 AS _first" +
			" FROM (SELECT *, cityHash64(" + hashed + ") AS _hash FROM (" + changes + "))"},
		{Purpose: prefix + "read the current versions of the changed keys", SQL: "CREATE TABLE " + cur.String() +
			" ENGINE = MergeTree ORDER BY tuple() AS SELECT " + k + ", valid_from AS _cur_from, version AS _cur_version, _hash AS _cur_hash, _batch AS _cur_source FROM " +
			s.versions.String() + " WHERE " + s.currentAt(P) + " AND " + keyTuple + " IN (SELECT " + k + " FROM " + chg.String() + ")"},
		{Purpose: prefix + "classify the changes", SQL: "CREATE TABLE " + cls.String() + " ENGINE = MergeTree ORDER BY tuple() AS SELECT *, multiIf(" +
			"NOT _first, 'dup', " +
			"_cur_version > 0 AND _ts = _cur_from AND _hash = _cur_hash, 'dup', " +
			"_cur_version > 0 AND _ts < _cur_from AND (" + k + ", _ts, _hash) IN (" + applied + "), 'dup', " +
			"_cur_version > 0 AND _ts < _cur_from, 'late', 'new') AS _class FROM " + chg.String() + " LEFT JOIN " + cur.String() +
			" USING (" + k + ") SETTINGS join_use_nulls = 0"},
		{Purpose: prefix + "quarantine late changes", SQL: "INSERT INTO " + s.quar.String() + " SELECT " + ka + ", _op, _ts, _row, " +
			strconv.FormatUint(seq, 10) + ", " + N + ", " + late + " FROM " + cls.String() + " WHERE _class = 'late'"},
		{Purpose: prefix + "number the new versions", SQL: "CREATE TABLE " + nv.String() + " ENGINE = MergeTree ORDER BY tuple() AS SELECT " + ka +
			", _op, _ts, _hash, _cur_version, row_number() OVER w AS _rn, count() OVER (PARTITION BY " + k + ") AS _cnt, leadInFrame(_ts) OVER (PARTITION BY " +
			k + " ORDER BY _ts, _row ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS _next FROM " + cls.String() +
			" WHERE _class = 'new' WINDOW w AS (PARTITION BY " + k + " ORDER BY _ts, _row)"},
		{Purpose: prefix + "write the new versions", CountRows: true, SQL: "INSERT INTO " + s.versions.String() + " (" + vlist + ") SELECT " + ka +
			", _ts, if(_rn = _cnt, " + sentinel + ", _next), _rn = _cnt, toUInt32(_cur_version + _rn), upper(_op) != 'DELETE', " +
			manifest.QuoteString(b.SourceSystem) + ", _ts, if(_rn = _cnt, _ts, _next), _hash, " + N + " FROM " + nv.String()},
		{Purpose: prefix + "close the replaced versions", SQL: "INSERT INTO " + s.versions.String() + " (" + vlist + ") SELECT " + ka +
			", valid_from, _first_ts, false, version, is_active, source_system, inserted_at, _first_ts, _hash, " + N + " FROM " + s.versions.String() +
			" INNER JOIN (SELECT " + k + ", min(_ts) AS _first_ts FROM " + nv.String() + " GROUP BY " + k + ") AS f USING (" + k + ") WHERE " + s.currentAt(P) +
			" AND " + keyTuple + " IN (SELECT " + k + " FROM " + nv.String() + ")"},
		{Purpose: prefix + "rewrite the unchanged current versions of the partitions holding changed keys", SQL: "INSERT INTO " +
			s.versions.String() + " (" + vlist + ") SELECT " + columnNames(vcols[:len(vcols)-1]) + ", " + N + " FROM " + s.versions.String() +
			" WHERE is_current AND _batch IN (" + touched + ") AND " + keyTuple + " NOT IN (SELECT " + k + " FROM " + nv.String() + ")"},
		{Purpose: prefix + "list the current partitions", SQL: "INSERT INTO " + s.parts.String() + " (batch, source) SELECT " + N +
			", source FROM " + s.parts.String() + " WHERE batch = " + P + " AND source NOT IN (" + touched + ") UNION ALL SELECT " + N + ", " + N},
		{Purpose: prefix + "commit in the ledger", SQL: "INSERT INTO " + s.ledger.String() +
			" (model, kind, batch, seq_from, seq_to, delivered, loaded, duplicates, quarantined, loaded_at) SELECT " +
			manifest.QuoteString(modelKey(in.Node)) + ", 'batch', " + N + ", " + strconv.FormatUint(prevSeq, 10) + ", " + strconv.FormatUint(seq, 10) +
			", count(), countIf(_class = 'new'), countIf(_class = 'dup'), countIf(_class = 'late'), now() FROM " + cls.String()},
		{Purpose: prefix + "drop " + chg.String(), SQL: dropTable(chg)},
		{Purpose: prefix + "drop " + cur.String(), SQL: dropTable(cur)},
		{Purpose: prefix + "drop " + cls.String(), SQL: dropTable(cls)},
		{Purpose: prefix + "drop " + nv.String(), SQL: dropTable(nv)},
	}, dropReplaced(s, prefix, N)...)
}
