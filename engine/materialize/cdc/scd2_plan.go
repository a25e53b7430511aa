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

// supersededSuffix names the table of changes that did not become versions because a later
// delivery of the same key at the same instant overtook them, and of versions such a delivery
// replaced. A re-delivery of one of them is then recognised as such.
const supersededSuffix = "__superseded"

// stagingColumns are staging bookkeeping columns that an scd2 model never tracks.
var stagingColumns = map[string]bool{"processed": true, "inserted_at": true, "_file": true, "_row": true, "_load_seq": true}

// scd2Columns are the columns scd2 adds; a tracked column of the same name would be ambiguous.
var scd2Columns = []string{"valid_from", "valid_to", "is_current", "version", "is_active", "source_system", "inserted_at", "updated_at"}

// scd2Shape is the model's columns split by role, quoted, with the timestamp type.
type scd2Shape struct {
	cfg          scd2Config
	format       cdcFormat
	keys, attrs  []warehouse.Column
	k, a         string // quoted lists; a is "" when nothing but the key is tracked
	ts, op       string // quoted source columns
	tsType       string
	input        []warehouse.Column // the input's bookkeeping columns kept in quarantine
	order        string             // delivery order of the input's rows within a batch
	target       materialize.Relation
	versions     materialize.Relation
	parts        materialize.Relation // <model>__current_parts (batch, source)
	quar, ledger materialize.Relation
	superseded   materialize.Relation
	delivered    map[string]bool // the input's column names
}

// hasInput reports whether the input (the model's SELECT) has column c.
func (s *scd2Shape) hasInput(c string) bool { return s.delivered[c] }

func shapeOf(in materialize.Input, b *SCD2Batch) (*scd2Shape, error) {
	cfg, err := configOf(in.Node)
	if err != nil {
		return nil, err
	}
	f, ok := formats[b.Format]
	if !ok {
		return nil, fmt.Errorf("cdc_format %q: want dwm, peerdb or debezium", b.Format)
	}
	if cfg.op == "" {
		cfg.op = f.op
	}
	s := &scd2Shape{cfg: cfg, format: f, ts: manifest.QuoteIdent(cfg.ts), op: manifest.QuoteIdent(cfg.op)}
	byName := map[string]warehouse.Column{}
	s.delivered = map[string]bool{}
	for _, c := range b.Columns {
		byName[c.Name] = c
		s.delivered[c.Name] = true
	}
	need := []string{cfg.ts, cfg.op}
	skip := map[string]bool{}
	switch {
	case b.Staging != nil:
		need = append(need, "_load_seq", "_row")
		s.input = []warehouse.Column{{Name: "_row", Type: "UInt64"}, {Name: "_load_seq", Type: "UInt64"}}
		s.order = "_row"
		skip = stagingColumns
	case b.Cursor != nil:
		need = append(need, b.Cursor.Column)
		s.input = []warehouse.Column{{Name: b.Cursor.Column, Type: b.Cursor.Type}}
		s.order = manifest.QuoteIdent(b.Cursor.Column)
		skip = map[string]bool{b.Cursor.Column: true}
		for c := range stagingColumns { // a staging model read by a cursor keeps its flags out
			skip[c] = true
		}
	default:
		return nil, fmt.Errorf("no input prepared (a staging model or a relation with a cursor)")
	}
	for _, n := range append(need, cfg.keys...) {
		if _, ok := byName[n]; !ok {
			if b.Staging != nil {
				return nil, fmt.Errorf("the SELECT has no column %q (select * from the staging model keeps every column needed)", n)
			}
			return nil, fmt.Errorf("the SELECT has no column %q (cdc_format %s reads it; set config op, cdc_timestamp or cursor if the input names it otherwise)", n, f.name)
		}
	}
	s.tsType = byName[cfg.ts].Type
	if strings.HasPrefix(s.tsType, "Nullable") || !strings.HasPrefix(s.tsType, "DateTime") {
		return nil, fmt.Errorf("%s must be a non-Nullable DateTime or DateTime64, got %s (declare its data_type in the staging model, or convert it in the SELECT)", cfg.ts, s.tsType)
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
		if isKey[c.Name] || c.Name == cfg.ts || c.Name == cfg.op || skip[c.Name] || strings.HasPrefix(c.Name, "_") {
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
	s.superseded = suffixed(s.target, supersededSuffix)
	s.ledger = ledgerOf(in.Node)
	return s, nil
}

// hash is the identity of a change's values: the tracked columns and whether it deletes, not the
// operation's name, so an INSERT re-delivered as an UPDATE with the same values is the same change.
func (s *scd2Shape) hash(deletes string) string {
	return blankedHash(s.attrs, nil, deletes)
}

// versionHash is hash recomputed from a stored version (a version deletes when it is inactive),
// so histories written before the hash left out the operation compare correctly too.
func (s *scd2Shape) versionHash() string { return s.hash("NOT is_active") }

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
	quarCols = append(append(quarCols, warehouse.Column{Name: s.cfg.op, Type: "String"}, warehouse.Column{Name: s.cfg.ts, Type: s.tsType}), s.input...)
	quarCols = append(quarCols, warehouse.Column{Name: "_batch", Type: "UInt64"}, warehouse.Column{Name: "reason", Type: "String"},
		warehouse.Column{Name: "_hash", Type: "UInt64"})
	supCols := append(append([]warehouse.Column{}, s.keys...), warehouse.Column{Name: "_ts", Type: s.tsType},
		warehouse.Column{Name: "_hash", Type: "UInt64"}, warehouse.Column{Name: "replaced", Type: "Bool"}, warehouse.Column{Name: "_batch", Type: "UInt64"},
		warehouse.Column{Name: "_hash_erased", Type: "UInt64"})

	// A rebuild is a full refresh that Prepare decided on: the input no longer holds what the
	// history was built from.
	full := in.FullRefresh || b.Rebuild != ""
	steps := []materialize.Step{createLedger(s.ledger, in.Caps), addCursorColumns(s.ledger, in.Caps), materialize.CleanupTemps(s.target, in.Caps)}
	if full {
		steps = append(steps, forgetModel(s.ledger, model, kindBatch, in.Caps))
		for _, r := range []materialize.Relation{s.versions, s.quar, s.parts, s.superseded} {
			steps = append(steps, materialize.Step{Purpose: "drop " + r.String(), SQL: dropTable(r, in.Caps)})
		}
	}
	c := strconv.FormatUint(b.Committed, 10)
	steps = append(steps,
		materialize.Step{Purpose: "create " + s.versions.String(), SQL: createTable(s.versions, true, in.Caps) + " (" +
			columnDefs(vcols) + ") ENGINE = " + mergeTree(in.Caps) + " PARTITION BY (_batch, is_current) ORDER BY (" + s.k + ")"},
		materialize.Step{Purpose: "create " + s.quar.String(), SQL: createTable(s.quar, true, in.Caps) + " (" +
			columnDefs(quarCols) + ") ENGINE = " + mergeTree(in.Caps) + " PARTITION BY _batch ORDER BY (" + s.k + ")"},
		// Quarantines created before changes were identified by their hash lack the column.
		materialize.Step{Purpose: "add _hash to " + s.quar.String(), SQL: alterTable(s.quar, in.Caps) + " ADD COLUMN IF NOT EXISTS _hash UInt64"},
		materialize.Step{Purpose: "create " + s.parts.String(), SQL: createTable(s.parts, true, in.Caps) +
			" (batch UInt64, source UInt64) ENGINE = " + mergeTree(in.Caps) + " PARTITION BY batch ORDER BY source"},
		materialize.Step{Purpose: "create " + s.superseded.String(), SQL: createTable(s.superseded, true, in.Caps) + " (" +
			columnDefs(supCols) + ") ENGINE = " + mergeTree(in.Caps) + " PARTITION BY _batch ORDER BY (" + s.k + ")"},
		// Tables created before erasure kept a hash without personal data lack the column (rows
		// read 0 there, see SCD2.Rehash).
		materialize.Step{Purpose: "add _hash_erased to " + s.superseded.String(), SQL: alterTable(s.superseded, in.Caps) + " ADD COLUMN IF NOT EXISTS _hash_erased UInt64"})
	if !full {
		steps = append(steps,
			dropPartitionsWhere("drop uncommitted partitions of "+s.versions.String(), s.versions, "_batch > "+c, in.Caps),
			dropPartitionsWhere("drop uncommitted partitions of "+s.quar.String(), s.quar, "_batch > "+c, in.Caps),
			dropPartitionsWhere("drop uncommitted lists of "+s.parts.String(), s.parts, "batch > "+c, in.Caps),
			dropPartitionsWhere("drop uncommitted partitions of "+s.superseded.String(), s.superseded, "_batch > "+c, in.Caps))
		if b.Committed > 0 {
			// Storage written before __current_parts existed keeps all current versions in (C, 1).
			steps = append(steps, insert("list the current partitions of batch "+c+" if none are listed", s.parts, "batch, source",
				"SELECT "+c+", "+c+" WHERE (SELECT count() FROM "+s.parts.String()+" WHERE batch = "+c+") = 0", in.Caps)...)
		}
		steps = append(steps, dropReplaced(s, "", c, in.Caps)...)
	}
	if in.State.Kind == materialize.Table {
		steps = append(steps, materialize.Step{Purpose: "drop table " + s.target.String(), SQL: dropTable(s.target, in.Caps)})
	}
	viewCols := columnNames(vcols[:len(vcols)-2])
	steps = append(steps, materialize.Step{Purpose: "create view " + s.target.String(), SQL: "CREATE OR REPLACE VIEW " +
		s.target.String() + materialize.OnCluster(in.Caps) + " AS SELECT " + viewCols + " FROM " + s.versions.String() + " WHERE " + s.visibleAt(s.committed(model))})

	for _, spec := range batchSpecs(b) {
		steps = append(steps, batchSteps(in, s, b, spec)...)
	}
	if st := b.Staging; st != nil {
		last := st.LastSeq
		if n := len(st.Files); n > 0 {
			last = st.Files[n-1].Seq
		}
		steps = append(steps, markProcessed(st.Relation, s.target, in.Suffix, last, in.Caps)...)
	}
	return steps, nil
}

// dropReplaced drops, once batch c is committed, the current partitions that the lists before c
// name and c's list does not, then those lists (in this order, so a crash between them leaves
// the lists that name what is still to drop).
func dropReplaced(s *scd2Shape, prefix, c string, caps warehouse.Capabilities) []materialize.Step {
	return []materialize.Step{
		dropPartitionIDs(prefix+"drop the current partitions replaced by batch "+c, s.versions, caps,
			"SELECT DISTINCT concat(toString(source), '-1') FROM "+s.parts.String()+" WHERE batch < "+c+
				" AND source NOT IN (SELECT source FROM "+s.parts.String()+" WHERE batch = "+c+") ORDER BY 1"),
		dropPartitionsWhere(prefix+"drop the lists before batch "+c, s.parts, "batch < "+c, caps),
	}
}
