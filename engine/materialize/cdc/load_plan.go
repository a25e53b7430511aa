package cdc

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// classifyBlockSetting caps the blocks the classifying INSERT gathers before writing a part
// (256 MiB by default, per insert thread, each sorted into a copy): a row carries its typed
// columns, its raw text for the quarantine and its reason, so one weekly event file at 200k users
// held 2.4 GB at once. With 64 MiB blocks it holds 1.4 GB, and the load is faster as a whole: the
// lightweight DELETE of duplicates and bad rows waits for the merges of the parts just written,
// and merging many small parts finishes sooner than merging a few large ones (6-8 s against
// 1.2-1.4 s on that file; docs/benchmarks-warehouse.md, seventh session).
const classifyBlockSetting = "min_insert_block_size_bytes = 67108864"

// loadSpec is what differs between staging and fact loads.
type loadSpec struct {
	processed bool     // staging: add the processed flag
	uniqueKey []string // fact: drop rows whose key was already loaded
	scope     string   // fact: column duplicates share, narrowing the lookup
}

// quarantineSuffix names the relation holding rejected rows.
const quarantineSuffix = "__quarantine"

// loadTarget is the relations one load writes.
type loadTarget struct {
	target, quar, ledger materialize.Relation
	cols                 []warehouse.Column // the target's columns, bookkeeping included
}

// planLoad loads each new file as one partition of the target (PARTITION BY _load_seq): the
// file's rows are read as text into a temporary table, classified (type errors, bad ops and rules
// go to quarantine, duplicates are skipped), and the partition is swapped in with REPLACE
// PARTITION, which is atomic and idempotent. The ledger row written last is the commit: a crash
// before it leaves a file the next run loads again into the same partition.
func planLoad(in materialize.Input, spec loadSpec) ([]materialize.Step, error) {
	b, ok := in.Prepared.(*LoadBatch)
	if !ok || b == nil {
		return nil, fmt.Errorf("no prepared files (Prepare must run before Plan)")
	}
	t := loadTarget{target: materialize.Target(in.Node), ledger: ledgerOf(in.Node), cols: targetColumns(b.Columns, spec)}
	t.quar = suffixed(t.target, quarantineSuffix)
	if in.State.Kind == materialize.View || in.State.Kind == materialize.Other {
		return nil, fmt.Errorf("%s exists as %s; drop it or run with --full-refresh", t.target, in.State.Engine)
	}
	// With no file committed the table holds nothing the ledger vouches for (a first load that
	// failed after creating it): it is made again with the columns of the files now.
	// A rebuild is a full refresh Prepare decided on: the ledger and the table disagree.
	full := in.FullRefresh || b.Rebuild != ""
	fresh := !full && in.State.Kind == materialize.Table && b.LastSeq == 0
	if !full && !fresh && in.State.Kind == materialize.Table && !sameColumns(in.State.Columns, t.cols) {
		return nil, columnsChanged(t.target, in.State.Columns, t.cols, b.Files)
	}
	for _, k := range append(append([]string{}, spec.uniqueKey...), spec.scope) {
		if k != "" && !hasColumn(b.Columns, k) {
			return nil, fmt.Errorf("column %q (unique_key or dedupe_scope) is not in the files", k)
		}
	}
	orderBy := "_row"
	if len(spec.uniqueKey) > 0 {
		var err error
		if orderBy, err = factOrderBy(in.Node, spec.scope); err != nil {
			return nil, err
		}
	}
	steps := []materialize.Step{createLedger(t.ledger, in.Caps), materialize.CleanupTemps(t.target, in.Caps)}
	switch {
	case full:
		steps = append(steps, forgetModel(t.ledger, modelKey(in.Node), kindFile, in.Caps),
			materialize.Step{Purpose: "drop " + t.target.String(), SQL: dropTable(t.target, in.Caps)},
			materialize.Step{Purpose: "drop " + t.quar.String(), SQL: dropTable(t.quar, in.Caps)})
	case fresh:
		steps = append(steps,
			materialize.Step{Purpose: "drop " + t.target.String() + " (no file committed)", SQL: dropTable(t.target, in.Caps)},
			materialize.Step{Purpose: "drop " + t.quar.String() + " (no file committed)", SQL: dropTable(t.quar, in.Caps)})
	}
	quarCols := []warehouse.Column{{Name: "_file", Type: "String"}, {Name: "_row", Type: "UInt64"},
		{Name: "_load_seq", Type: "UInt64"}, {Name: "reason", Type: "String"}}
	for _, c := range b.Columns {
		quarCols = append(quarCols, warehouse.Column{Name: c.Name, Type: "String"})
	}
	steps = append(steps,
		materialize.Step{Purpose: "create " + t.target.String(), SQL: createTable(t.target, true, in.Caps) +
			" (" + columnDefs(t.cols) + ") ENGINE = " + mergeTree(in.Caps) + " PARTITION BY _load_seq ORDER BY " + orderBy},
		materialize.Step{Purpose: "create " + t.quar.String(), SQL: createTable(t.quar, true, in.Caps) +
			" (" + columnDefs(quarCols) + ") ENGINE = " + mergeTree(in.Caps) + " PARTITION BY _load_seq ORDER BY _row"},
	)
	if !full && !fresh {
		// Partitions beyond the ledger are files a crashed run swapped in without committing.
		last := strconv.FormatUint(b.LastSeq, 10)
		steps = append(steps,
			dropPartitionsWhere("drop uncommitted files from "+t.target.String(), t.target, "_load_seq > "+last, in.Caps),
			dropPartitionsWhere("drop uncommitted files from "+t.quar.String(), t.quar, "_load_seq > "+last, in.Caps))
		if spec.processed && b.LastSeq > 0 {
			steps = append(steps, repairProcessed(t.target, in.Suffix, b.LastSeq, in.Caps))
		}
	}
	for _, f := range b.Files {
		steps = append(steps, fileSteps(in, spec, b, f, t)...)
	}
	return steps, nil
}

// factOrderBy is a fact's ORDER BY: config order_by, else (dedupe_scope, unique_key...). The
// default sorts every file by its keys, which for random ids (UUIDs) is the costliest part of
// writing it; an order_by that follows the file, such as (event_date, event_timestamp), is
// nearly sorted already (docs/benchmarks-warehouse.md, goal 2). Deduplication reads the keys by
// dedupe_scope whatever the order.
func factOrderBy(n *manifest.Node, scope string) (string, error) {
	o, err := materialize.OrderByExpr(n.Config)
	if err != nil || o != "" {
		return o, err
	}
	keys := quoteAll(n.Config.UniqueKey)
	if scope = strings.TrimSpace(scope); scope != "" {
		keys = append([]string{manifest.QuoteIdent(scope)}, keys...)
	}
	return "(" + strings.Join(keys, ", ") + ")", nil
}

// columnsChanged names the files, the columns they add, lack or retype, and both column lists.
func columnsChanged(target materialize.Relation, have, want []warehouse.Column, files []File) error {
	old := map[string]string{}
	for _, c := range have {
		old[c.Name] = c.Type
	}
	now := map[string]string{}
	var diff []string
	for _, c := range want {
		now[c.Name] = c.Type
		switch t, ok := old[c.Name]; {
		case !ok:
			diff = append(diff, "adds "+c.Name+" "+c.Type)
		case t != c.Type:
			diff = append(diff, "makes "+c.Name+" "+c.Type+" (was "+t+")")
		}
	}
	for _, c := range have {
		if _, ok := now[c.Name]; !ok {
			diff = append(diff, "lacks "+c.Name)
		}
	}
	if len(diff) == 0 {
		diff = append(diff, "orders the columns differently")
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Path
	}
	what := "the project's column types"
	if len(names) > 0 {
		what = strings.Join(names, ", ")
	}
	return fmt.Errorf("the columns of %s changed: %s %s (the table has %s, now %s); run with --full-refresh",
		target, what, strings.Join(diff, ", "), columnList(have), columnList(want))
}

// fileSteps load one file with a single write of its rows: every delivered row is converted and
// classified into cls, a table shaped like the target plus the classification's columns (the
// reason a row is rejected, and its raw text, kept only for rejected rows). The rejected rows are
// copied to the quarantine, the duplicates found, both deleted from cls (a lightweight delete: a
// mask, not a rewrite), the classification's columns dropped, and cls's partition swapped into
// the target. Copying the kept rows into a second table, as dwm did before, wrote every row twice
// (docs/benchmarks-warehouse.md, goal 2).
func fileSteps(in materialize.Input, spec loadSpec, b *LoadBatch, f File, t loadTarget) []materialize.Step {
	seq := strconv.FormatUint(f.Seq, 10)
	cls := materialize.TempRelation(t.target, in.Suffix+"c"+seq)
	dups := materialize.TempRelation(t.target, in.Suffix+"d"+seq)
	qrows := materialize.TempRelation(t.target, in.Suffix+"q"+seq)
	file := manifest.QuoteString(f.Path)
	what := " (" + f.Path + ")"
	caps := in.Caps

	rd := readFile(in, b, f)
	steps := append([]materialize.Step{}, rd.before...)
	classified, setup := blankErasedLoad(classifyQuery(b, rd.query), b, in.Erasures)
	for _, q := range setup {
		steps = append(steps, materialize.Step{Purpose: "open the erasure log" + what, SQL: q})
	}
	stored := make([]string, 0, len(b.Columns)+5)
	raws := make([]string, 0, len(b.Columns))
	for i, c := range b.Columns {
		stored = append(stored, storedExpr(manifest.QuoteIdent(c.Name), c.Type))
		raws = append(raws, "_q["+strconv.Itoa(i+1)+"]")
	}
	if spec.processed {
		stored = append(stored, "false")
	}
	stored = append(stored, "now()", file, "_row", seq)
	extra := []string{"_reason", "_q"}
	add := []string{"ADD COLUMN _reason String", "ADD COLUMN _q Array(String)"}
	drop := []string{"DROP COLUMN _reason", "DROP COLUMN _q"}
	fill := "SELECT " + strings.Join(append(stored, extra...), ", ") + " FROM (" + classified + ")"
	settings := classifyBlockSetting
	if rd.settings != "" {
		settings = rd.settings + ", " + settings
	}
	fill += " SETTINGS " + settings
	steps = append(steps,
		materialize.Step{Purpose: "create " + cls.String(), SQL: createTable(cls, false, caps) + " AS " + t.target.String()},
		materialize.Step{Purpose: "add the classification's columns to " + cls.String(), SQL: alterTable(cls, caps) + " " + strings.Join(add, ", ") + alterSync})
	steps = append(steps, insert("read, convert and classify the rows"+what, cls, columnNames(t.cols)+", "+strings.Join(extra, ", "), fill, caps)...)
	steps = append(steps, materialize.Step{Purpose: "create " + qrows.String(), SQL: createTable(qrows, false, caps) + " AS " + t.quar.String()})
	steps = append(steps, insert("quarantine the bad rows"+what, qrows, "", "SELECT "+file+", _row, "+seq+
		", _reason, "+strings.Join(raws, ", ")+" FROM "+cls.String()+" WHERE _reason != ''", caps)...)
	rejected, dupCount := "_reason != ''", "0"
	if len(spec.uniqueKey) > 0 {
		steps = append(steps, dupSteps(in, spec, t, cls, dups, seq, what)...)
		rejected += " OR _row IN (SELECT _row FROM " + dups.String() + ")"
		dupCount = "(SELECT uniqExact(_row) FROM " + dups.String() + ")"
	}
	steps = append(steps,
		materialize.Step{Purpose: "delete the bad rows and duplicates from " + cls.String(), SQL: "DELETE FROM " + cls.String() +
			materialize.OnCluster(caps) + " WHERE " + rejected + " SETTINGS lightweight_deletes_sync = 2"},
		materialize.Step{Purpose: "drop the classification's columns from " + cls.String(), SQL: alterTable(cls, caps) + " " + strings.Join(drop, ", ") + alterSync},
		materialize.Step{Purpose: "swap " + f.Path + " into " + t.target.String(), SQL: replacePartition(t.target, cls, seq, caps)},
		materialize.Step{Purpose: "swap " + f.Path + " into " + t.quar.String(), SQL: replacePartition(t.quar, qrows, seq, caps)},
		materialize.Step{Purpose: "count the rows " + f.Path + " loaded", SQL: "SELECT count() FROM " + t.target.String() + " WHERE _load_seq = " + seq,
			CountResult: true, Expand: func(*warehouse.Result) ([]string, error) { return nil, nil }})
	steps = append(steps, commitFile(in.Node, f, t, cls, dupCount, caps)...)
	for _, r := range append([]materialize.Relation{cls, qrows}, rd.temps...) {
		steps = append(steps, materialize.Step{Purpose: "drop " + r.String(), SQL: dropTable(r, caps)})
	}
	if len(spec.uniqueKey) > 0 {
		steps = append(steps, materialize.Step{Purpose: "drop " + dups.String(), SQL: dropTable(dups, caps)})
	}
	return steps
}

// alterSync makes an ALTER wait until every replica has applied it.
const alterSync = " SETTINGS alter_sync = 2, mutations_sync = 2"

// dupSteps collect into dups the rows (_row) of cls that repeat a key: loaded from an earlier file,
// or on a lower row of this file. The first delivery wins.
func dupSteps(in materialize.Input, spec loadSpec, t loadTarget, cls, dups materialize.Relation, seq, what string) []materialize.Step {
	key := strings.Join(quoteAll(spec.uniqueKey), ", ")
	hash := "cityHash64(" + key + ")"
	older := t.target.String() + " WHERE _load_seq < " + seq
	earlier := "SELECT " + key + " FROM " + older
	// Of the earlier rows only those whose key hashes like one of this file's can match: the
	// set holds the file's 64-bit hashes (memory bounded by the file, not the history), and
	// the semi join below, which compares the keys themselves, builds its table from the few
	// rows that pass (true duplicates and hash collisions) instead of every earlier key.
	hashes := "SELECT " + hash + " FROM " + cls.String() + " WHERE _reason = ''"
	if spec.scope != "" {
		s := manifest.QuoteIdent(spec.scope)
		scopes := "SELECT DISTINCT " + s + " FROM " + cls.String() + " WHERE _reason = ''"
		earlier += " AND " + s + " IN (" + scopes + ")"
		// Duplicates share the scope, so only the file's rows in a scope that earlier rows
		// hold need their hashes in the set. A week's file holds a few late rows of last
		// week's days: a set of those few is probed by last week's rows, where a set of the
		// whole file was probed at random by each of them (5x the time on a 200k-user week).
		hashes += " AND " + s + " IN (SELECT DISTINCT " + s + " FROM " + older + " AND " + s + " IN (" + scopes + "))"
	}
	earlier += " AND " + hash + " IN (" + hashes + ")"
	// Likewise a key repeats in the file only if its hash does: the rows ordered and
	// compared by key are those few, not the whole file.
	repeated := "SELECT " + hash + " FROM " + cls.String() + " WHERE _reason = '' GROUP BY " + hash + " HAVING count() > 1"
	// LIMIT 1, max BY skips each key's first row. Only the duplicates' row numbers are
	// collected, reading just the key. Earlier keys are matched with a semi join: `key IN
	// (earlier)` over a week of 24M event ids at 1M users needed more than 21 GB. A row can be
	// found by both halves, so the duplicates are counted as distinct rows.
	return createFilled("find the duplicates"+what, dups, "_row",
		"SELECT _row FROM "+cls.String()+" AS c LEFT SEMI JOIN ("+earlier+") AS e USING ("+key+
			") WHERE c._reason = '' UNION ALL SELECT _row FROM (SELECT _row, "+key+" FROM "+cls.String()+" WHERE _reason = '' AND "+hash+" IN ("+repeated+
			") ORDER BY _row LIMIT 1, 18446744073709551615 BY "+key+")", warehouse.BoundedSetSettings, in.Caps)
}

// commitFile writes the file's ledger row, the commit. Its counts are read from what was
// committed: the rows delivered (classified), the file's partitions of the target and the
// quarantine after the swaps, and the distinct rows found to be duplicates. When they do not add
// up, the statement fails and the file stays uncommitted, so the identity
// loaded + duplicates + quarantined = delivered is checked for every file rather than assumed.
func commitFile(n *manifest.Node, f File, t loadTarget, cls materialize.Relation, dupCount string, caps warehouse.Capabilities) []materialize.Step {
	seq := strconv.FormatUint(f.Seq, 10)
	file := manifest.QuoteString(f.Path)
	// cls keeps every delivered row; the rejected ones are only masked (apply_deleted_mask = 0).
	counts := "SELECT (SELECT count() FROM " + cls.String() + " SETTINGS apply_deleted_mask = 0) AS d, (SELECT count() FROM " + t.target.String() + " WHERE _load_seq = " + seq +
		") AS l, " + dupCount + " AS u, (SELECT count() FROM " + t.quar.String() + " WHERE _load_seq = " + seq + ") AS q"
	msg := manifest.QuoteString(f.Path + ": loaded + duplicates + quarantined rows do not add up to the rows delivered; the file is not committed")
	return insert("commit "+f.Path+" in the ledger", t.ledger,
		"model, kind, file, sha256, etag, size, seq, delivered, loaded, duplicates, quarantined, loaded_at", "SELECT "+
			manifest.QuoteString(modelKey(n))+", 'file', "+file+", "+manifest.QuoteString(f.SHA256)+", "+manifest.QuoteString(f.ETag)+
			", "+strconv.FormatUint(f.Size, 10)+", "+seq+", d, l, u, q, now() FROM ("+counts+") WHERE throwIf(l + u + q != d, "+msg+") = 0", caps)
}

// createFilled creates r with query's columns, then fills it. Two statements rather than
// CREATE TABLE ... AS SELECT: ClickHouse 26 runs that into a table named
// _tmp_replace_<hash>_<random> and renames it at the end, so a kill in the middle left a table
// that no later run could tell was dwm's. Killed now, the run leaves r, which CleanupTemps drops.
// On a cluster the table is created on every node and the INSERT, which runs on one, is followed
// by the wait until every replica holds its rows.
func createFilled(purpose string, r materialize.Relation, orderBy, query, settings string, caps warehouse.Capabilities) []materialize.Step {
	return createShaped(purpose, r, orderBy, query, query, settings, caps)
}

// createShaped is createFilled with the table's structure taken from shape, a query with the same
// columns that reads no external data.
func createShaped(purpose string, r materialize.Relation, orderBy, shape, query, settings string, caps warehouse.Capabilities) []materialize.Step {
	fill := query
	if settings != "" {
		fill += " SETTINGS " + settings
	}
	return append([]materialize.Step{{Purpose: "create " + r.String(), SQL: createTable(r, false, caps) + " ENGINE = " + mergeTree(caps) +
		" ORDER BY " + orderBy + " EMPTY AS " + shape}}, insert(purpose, r, "", fill, caps)...)
}

// classifyQuery converts the raw text columns (_r0.. and _row, from raw) and classifies each row:
// the reason it goes to quarantine (type errors first, then a bad op, then the rules in order), or
// ”. The raw text is kept (as the array _q, _rN at _q[N+1]) only for rows that go to quarantine:
// good rows need just the typed columns, and storing both would double what the classification
// writes. One array column rather than a String column per raw column: a good row then costs one
// empty array instead of an empty string per column, which made the classifying INSERT of a
// week's clickstream ~15% faster (docs/benchmarks-warehouse.md, "Eighth session").
func classifyQuery(b *LoadBatch, raw string) string {
	var typed, fails, raws []string
	for i, c := range b.Columns {
		r := "_r" + strconv.Itoa(i)
		name := manifest.QuoteIdent(c.Name)
		typed = append(typed, typedExpr(r, c.Type)+" AS "+name)
		raws = append(raws, r)
		if fail := failExpr(r, name, c.Type); fail != "" {
			fails = append(fails, "if("+fail+", concat("+manifest.QuoteString(c.Name+": cannot parse '")+", "+r+
				", "+manifest.QuoteString("' as "+c.Type)+"), '')")
		}
	}
	typeErr := "''"
	if len(fails) > 0 {
		typeErr = "arrayStringConcat(arrayFilter(x -> x != '', [" + strings.Join(fails, ", ") + "]), '; ')"
	}
	reason := "_type_error"
	if parts := reasonParts(b); len(parts) > 0 {
		reason = "multiIf(_type_error != '', _type_error, " + strings.Join(parts, ", ") + ", '')"
	}
	return "SELECT _row, " + strings.Join(typed, ", ") + ", " + typeErr + " AS _type_error, " + reason + " AS _reason, " +
		"if(_reason != '', [" + strings.Join(raws, ", ") + "], []) AS _q FROM (" + raw + ")"
}

// reasonParts are the multiIf conditions and reasons after type errors: a staging op that is not
// INSERT, UPDATE or DELETE (any case; an empty op too), then the fact's rules.
func reasonParts(b *LoadBatch) []string {
	var parts []string
	for i, c := range b.Columns {
		if b.Op != "" && c.Name == b.Op {
			r := "_r" + strconv.Itoa(i)
			parts = append(parts, "upper("+r+") NOT IN ('INSERT', 'UPDATE', 'DELETE')",
				"concat("+manifest.QuoteString(c.Name+": '")+", "+r+", "+manifest.QuoteString("' is not INSERT, UPDATE or DELETE")+")")
		}
	}
	for _, r := range b.Rules {
		parts = append(parts, "("+r.When+")", manifest.QuoteString(r.Reason))
	}
	return parts
}

// replaceEmpty lets REPLACE PARTITION take an empty source: a file with no good (or no bad)
// rows must leave its partition empty, also when a crashed earlier attempt filled it.
const replaceEmpty = " SETTINGS allow_replace_partition_from_empty_source = 1"

// targetColumns are the file's columns plus the bookkeeping columns.
func targetColumns(file []warehouse.Column, spec loadSpec) []warehouse.Column {
	cols := append([]warehouse.Column{}, file...)
	if spec.processed {
		cols = append(cols, warehouse.Column{Name: "processed", Type: "Bool"})
	}
	return append(cols, warehouse.Column{Name: "inserted_at", Type: "DateTime"}, warehouse.Column{Name: "_file", Type: "String"},
		warehouse.Column{Name: "_row", Type: "UInt64"}, warehouse.Column{Name: "_load_seq", Type: "UInt64"})
}

func columnDefs(cols []warehouse.Column) string {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = manifest.QuoteIdent(c.Name) + " " + c.Type
	}
	return strings.Join(defs, ", ")
}

func columnNames(cols []warehouse.Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = manifest.QuoteIdent(c.Name)
	}
	return strings.Join(names, ", ")
}

func columnList(cols []warehouse.Column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.Name + " " + c.Type
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

func sameColumns(a, b []warehouse.Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Type != b[i].Type {
			return false
		}
	}
	return true
}

func hasColumn(cols []warehouse.Column, name string) bool {
	for _, c := range cols {
		if c.Name == name {
			return true
		}
	}
	return false
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = manifest.QuoteIdent(strings.TrimSpace(n))
	}
	return out
}
