package cdc

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

const versionsSuffix = "__versions"

// currentPartsSuffix names the table that lists, per committed batch, the batches whose
// current-version partitions together hold the current versions.
const currentPartsSuffix = "__current_parts"

// openValidTo is valid_to of a version that is still open.
const openValidTo = "2100-01-01 00:00:00"

// stagingColumns are staging bookkeeping columns that an scd2 model never tracks.
var stagingColumns = map[string]bool{"processed": true, "inserted_at": true, "_file": true, "_row": true, "_load_seq": true}

// scd2Columns are the columns scd2 adds; a tracked column of the same name would be ambiguous.
var scd2Columns = []string{"valid_from", "valid_to", "is_current", "version", "is_active", "source_system", "inserted_at", "updated_at"}

// scd2Shape is the model's columns split by role, quoted, with the timestamp type.
type scd2Shape struct {
	cfg          scd2Config
	keys, attrs  []warehouse.Column
	k, a         string // quoted lists; a is "" when nothing but the key is tracked
	ts, op       string // quoted source columns
	tsType       string
	target       materialize.Relation
	versions     materialize.Relation
	parts        materialize.Relation // <model>__current_parts (batch, source)
	quar, ledger materialize.Relation
}

func shapeOf(in materialize.Input, b *SCD2Batch) (*scd2Shape, error) {
	cfg, err := configOf(in.Node)
	if err != nil {
		return nil, err
	}
	s := &scd2Shape{cfg: cfg, ts: manifest.QuoteIdent(cfg.ts), op: manifest.QuoteIdent(cfg.op)}
	byName := map[string]warehouse.Column{}
	for _, c := range b.Columns {
		byName[c.Name] = c
	}
	for _, need := range append([]string{cfg.ts, cfg.op, "_load_seq", "_row"}, cfg.keys...) {
		if _, ok := byName[need]; !ok {
			return nil, fmt.Errorf("the SELECT has no column %q (select * from the staging model keeps every column needed)", need)
		}
	}
	s.tsType = byName[cfg.ts].Type
	if strings.HasPrefix(s.tsType, "Nullable") || !strings.HasPrefix(s.tsType, "DateTime") {
		return nil, fmt.Errorf("%s must be a non-Nullable DateTime or DateTime64, got %s (declare its data_type in the staging model)", cfg.ts, s.tsType)
	}
	isKey := map[string]bool{}
	for _, k := range cfg.keys {
		isKey[k] = true
		s.keys = append(s.keys, byName[k])
	}
	reserved := map[string]bool{}
	for _, r := range scd2Columns {
		reserved[r] = true
	}
	for _, c := range b.Columns {
		if isKey[c.Name] || c.Name == cfg.ts || c.Name == cfg.op || stagingColumns[c.Name] || strings.HasPrefix(c.Name, "_") {
			continue
		}
		if reserved[c.Name] {
			return nil, fmt.Errorf("column %q of the SELECT clashes with the scd2 column of that name; rename it", c.Name)
		}
		s.attrs = append(s.attrs, c)
	}
	s.k = columnNames(s.keys)
	s.a = columnNames(s.attrs)
	s.target = materialize.Target(in.Node)
	s.versions = suffixed(s.target, versionsSuffix)
	s.parts = suffixed(s.target, currentPartsSuffix)
	s.quar = suffixed(s.target, quarantineSuffix)
	s.ledger = ledgerOf(in.Node)
	return s, nil
}

// ka is "k, a" (key then tracked columns), for SELECT lists.
func (s *scd2Shape) ka() string {
	if s.a == "" {
		return s.k
	}
	return s.k + ", " + s.a
}

// versionColumns are the storage columns in order; the view shows all but _hash and _batch.
func (s *scd2Shape) versionColumns() []warehouse.Column {
	cols := append(append([]warehouse.Column{}, s.keys...), s.attrs...)
	t := s.tsType
	return append(cols, warehouse.Column{Name: "valid_from", Type: t}, warehouse.Column{Name: "valid_to", Type: t},
		warehouse.Column{Name: "is_current", Type: "Bool"}, warehouse.Column{Name: "version", Type: "UInt32"},
		warehouse.Column{Name: "is_active", Type: "Bool"}, warehouse.Column{Name: "source_system", Type: "String"},
		warehouse.Column{Name: "inserted_at", Type: t}, warehouse.Column{Name: "updated_at", Type: t},
		warehouse.Column{Name: "_hash", Type: "UInt64"}, warehouse.Column{Name: "_batch", Type: "UInt64"})
}

// committed is the last committed batch, read from the ledger when the view is queried; a
// scalar subquery is folded into a constant before ClickHouse prunes partitions.
func (s *scd2Shape) committed(model string) string {
	return "(SELECT max(batch) FROM " + s.ledger.String() + " WHERE model = " + manifest.QuoteString(model) + " AND kind = 'batch')"
}

// currentAt is the condition on `<model>__versions` that selects the current versions as of batch
// b (an SQL expression): the is_current partitions of the batches that b's list names. Partition
// columns only, so ClickHouse prunes the other partitions.
func (s *scd2Shape) currentAt(b string) string {
	return "is_current AND _batch IN (SELECT source FROM " + s.parts.String() + " WHERE batch = " + b + ")"
}

// visibleAt selects every version as of batch b: the closed versions of batches <= b and the
// current versions of b.
func (s *scd2Shape) visibleAt(b string) string {
	return "((is_current = 0 AND _batch <= " + b + ") OR (" + s.currentAt(b) + "))"
}

// planSCD2 plans the storage layout of docs/materializations.md: `<model>__versions` is
// PARTITION BY (_batch, is_current). Batch N writes the versions it closes into (N, 0) and into
// (N, 1) its new current versions plus the unchanged current versions of the partitions that held
// a changed key; `<model>__current_parts` partition N lists the current partitions as of N (those
// of the previous list that held no changed key, and N). The ledger row commits it; the view
// shows the closed versions of batches <= C and the current partitions listed for C. Uncommitted
// partitions (> C) are invisible and dropped by the next run; replaced current partitions and
// old lists are dropped after commit. No correctness depends on merges, and a batch reads its
// changes and rewrites only the current partitions its changes touch.
func planSCD2(in materialize.Input) ([]materialize.Step, error) {
	b, ok := in.Prepared.(*SCD2Batch)
	if !ok || b == nil {
		return nil, fmt.Errorf("no prepared batch (Prepare must run before Plan)")
	}
	if err := materialize.CheckSuffix(in.Suffix); err != nil {
		return nil, err
	}
	s, err := shapeOf(in, b)
	if err != nil {
		return nil, err
	}
	if in.State.Kind == materialize.Other {
		return nil, fmt.Errorf("%s exists as %s; drop it by hand", s.target, in.State.Engine)
	}
	model := modelKey(in.Node)
	vcols := s.versionColumns()
	quarCols := append(append([]warehouse.Column{}, s.keys...), s.attrs...)
	quarCols = append(quarCols, warehouse.Column{Name: s.cfg.op, Type: "String"}, warehouse.Column{Name: s.cfg.ts, Type: s.tsType},
		warehouse.Column{Name: "_row", Type: "UInt64"}, warehouse.Column{Name: "_load_seq", Type: "UInt64"},
		warehouse.Column{Name: "_batch", Type: "UInt64"}, warehouse.Column{Name: "reason", Type: "String"})

	steps := []materialize.Step{createLedger(s.ledger), materialize.CleanupTemps(s.target, in.Caps)}
	if in.FullRefresh {
		steps = append(steps, forgetModel(s.ledger, model, kindBatch),
			materialize.Step{Purpose: "drop " + s.versions.String(), SQL: dropTable(s.versions)},
			materialize.Step{Purpose: "drop " + s.quar.String(), SQL: dropTable(s.quar)},
			materialize.Step{Purpose: "drop " + s.parts.String(), SQL: dropTable(s.parts)})
	}
	c := strconv.FormatUint(b.Committed, 10)
	steps = append(steps,
		materialize.Step{Purpose: "create " + s.versions.String(), SQL: "CREATE TABLE IF NOT EXISTS " + s.versions.String() + " (" +
			columnDefs(vcols) + ") ENGINE = MergeTree PARTITION BY (_batch, is_current) ORDER BY (" + s.k + ")"},
		materialize.Step{Purpose: "create " + s.quar.String(), SQL: "CREATE TABLE IF NOT EXISTS " + s.quar.String() + " (" +
			columnDefs(quarCols) + ") ENGINE = MergeTree PARTITION BY _batch ORDER BY (" + s.k + ")"},
		materialize.Step{Purpose: "create " + s.parts.String(), SQL: "CREATE TABLE IF NOT EXISTS " + s.parts.String() +
			" (batch UInt64, source UInt64) ENGINE = MergeTree PARTITION BY batch ORDER BY source"})
	if !in.FullRefresh {
		steps = append(steps,
			dropPartitionsWhere("drop uncommitted partitions of "+s.versions.String(), s.versions, "_batch > "+c),
			dropPartitionsWhere("drop uncommitted partitions of "+s.quar.String(), s.quar, "_batch > "+c),
			dropPartitionsWhere("drop uncommitted lists of "+s.parts.String(), s.parts, "batch > "+c))
		if b.Committed > 0 {
			// Storage written before __current_parts existed keeps all current versions in (C, 1).
			steps = append(steps, materialize.Step{Purpose: "list the current partitions of batch " + c + " if none are listed",
				SQL: "INSERT INTO " + s.parts.String() + " (batch, source) SELECT " + c + ", " + c + " WHERE (SELECT count() FROM " +
					s.parts.String() + " WHERE batch = " + c + ") = 0"})
		}
		steps = append(steps, dropReplaced(s, "", c)...)
	}
	if in.State.Kind == materialize.Table {
		steps = append(steps, materialize.Step{Purpose: "drop table " + s.target.String(), SQL: dropTable(s.target)})
	}
	viewCols := columnNames(vcols[:len(vcols)-2])
	steps = append(steps, materialize.Step{Purpose: "create view " + s.target.String(), SQL: "CREATE OR REPLACE VIEW " +
		s.target.String() + " AS SELECT " + viewCols + " FROM " + s.versions.String() + " WHERE " + s.visibleAt(s.committed(model))})

	prevSeq := b.LastSeq
	for i, seq := range b.Seqs {
		n := b.Committed + uint64(i) + 1
		steps = append(steps, batchSteps(in, s, b, n, prevSeq, seq)...)
		prevSeq = seq
	}
	steps = append(steps, markProcessed(b.Staging, s.target, in.Suffix, b.MarkFrom, prevSeq)...)
	return steps, nil
}

// dropReplaced drops, once batch c is committed, the current partitions that the lists before c
// name and c's list does not, then those lists (in this order, so a crash between them leaves
// the lists that name what is still to drop).
func dropReplaced(s *scd2Shape, prefix, c string) []materialize.Step {
	return []materialize.Step{
		dropPartitionIDs(prefix+"drop the current partitions replaced by batch "+c, s.versions,
			"SELECT DISTINCT concat(toString(source), '-1') FROM "+s.parts.String()+" WHERE batch < "+c+
				" AND source NOT IN (SELECT source FROM "+s.parts.String()+" WHERE batch = "+c+") ORDER BY 1"),
		dropPartitionsWhere(prefix+"drop the lists before batch "+c, s.parts, "batch < "+c),
	}
}

// markProcessed sets processed = true on the staging rows of files (from, to]. The ledger decides
// what is consumed; processed follows it and is re-marked from the start of the last committed
// batch, in case a run died between commit and marking.
//
// Each staging file is one partition, rewritten with the flag set into a temporary table and
// swapped back with REPLACE PARTITION (atomic, idempotent). Mutations (ALTER ... UPDATE), even
// restricted with IN PARTITION, waited on every part of the table and took seconds that grew with
// the staging history; this costs what the consumed files cost. Only partitions that still hold
// unprocessed rows are rewritten.
func markProcessed(staging, owner materialize.Relation, suffix string, from, to uint64) []materialize.Step {
	if to <= from {
		return nil
	}
	find := "SELECT DISTINCT _partition_id FROM " + staging.String() + " WHERE _load_seq > " + strconv.FormatUint(from, 10) +
		" AND _load_seq <= " + strconv.FormatUint(to, 10) + " AND NOT processed ORDER BY _partition_id"
	return []materialize.Step{{Purpose: "mark consumed rows of " + staging.String() + " processed", SQL: find,
		Expand: func(res *warehouse.Result) ([]string, error) {
			var out []string
			for i := range res.Rows {
				id := res.String(i, 0)
				if _, err := strconv.ParseUint(id, 10, 64); err != nil {
					return nil, fmt.Errorf("%s: partition %q is not a _load_seq; is it a staging model?", staging, id)
				}
				tmp := materialize.TempRelation(owner, suffix+"mark"+id)
				out = append(out,
					dropTable(tmp),
					"CREATE TABLE "+tmp.String()+" AS "+staging.String(),
					// LIMIT 1 BY _row: a kill during an earlier REPLACE PARTITION can leave the old
					// (unprocessed) part beside the new one after a restart; each file row is kept once.
					"INSERT INTO "+tmp.String()+" SELECT * REPLACE (true AS processed) FROM "+staging.String()+" WHERE _load_seq = "+id+
						" ORDER BY _row LIMIT 1 BY _row",
					// One part, so the REPLACE below attaches it with a single rename.
					"OPTIMIZE TABLE "+tmp.String()+" FINAL",
					"ALTER TABLE "+staging.String()+" REPLACE PARTITION ID '"+id+"' FROM "+tmp.String()+replaceEmpty,
					dropTable(tmp))
			}
			return out, nil
		}}}
}
