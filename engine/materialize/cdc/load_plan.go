package cdc

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// loadSpec is what differs between staging and fact loads.
type loadSpec struct {
	processed bool     // staging: add the processed flag
	uniqueKey []string // fact: drop rows whose key was already loaded
	scope     string   // fact: column duplicates share, narrowing the lookup
}

// quarantineSuffix names the relation holding rejected rows.
const quarantineSuffix = "__quarantine"

// planLoad loads each new file as one partition of the target (PARTITION BY _load_seq): the
// file's rows are read as text into a temporary table, classified (type errors and rules go to
// quarantine, duplicates are skipped), and the partition is swapped in with REPLACE PARTITION,
// which is atomic and idempotent. The ledger row written last is the commit: a crash before it
// leaves a file the next run loads again into the same partition.
func planLoad(in materialize.Input, spec loadSpec) ([]materialize.Step, error) {
	b, ok := in.Prepared.(*LoadBatch)
	if !ok || b == nil {
		return nil, fmt.Errorf("no prepared files (Prepare must run before Plan)")
	}
	target := materialize.Target(in.Node)
	quar := suffixed(target, quarantineSuffix)
	ledger := ledgerOf(in.Node)
	cols := targetColumns(b.Columns, spec)
	if in.State.Kind == materialize.View || in.State.Kind == materialize.Other {
		return nil, fmt.Errorf("%s exists as %s; drop it or run with --full-refresh", target, in.State.Engine)
	}
	if !in.FullRefresh && in.State.Kind == materialize.Table && !sameColumns(in.State.Columns, cols) {
		return nil, fmt.Errorf("the columns of %s changed (table has %s, the files give %s); run with --full-refresh",
			target, columnList(in.State.Columns), columnList(cols))
	}
	for _, k := range append(append([]string{}, spec.uniqueKey...), spec.scope) {
		if k != "" && !hasColumn(b.Columns, k) {
			return nil, fmt.Errorf("column %q (unique_key or dedupe_scope) is not in the files", k)
		}
	}
	orderBy := "_row"
	if len(spec.uniqueKey) > 0 {
		keys := quoteAll(spec.uniqueKey)
		if spec.scope != "" {
			keys = append([]string{manifest.QuoteIdent(spec.scope)}, keys...)
		}
		orderBy = "(" + strings.Join(keys, ", ") + ")"
	}
	steps := []materialize.Step{createLedger(ledger), materialize.CleanupTemps(target, in.Caps)}
	if in.FullRefresh {
		steps = append(steps, forgetModel(ledger, modelKey(in.Node), kindFile),
			materialize.Step{Purpose: "drop " + target.String(), SQL: dropTable(target)},
			materialize.Step{Purpose: "drop " + quar.String(), SQL: dropTable(quar)})
	}
	quarCols := []warehouse.Column{{Name: "_file", Type: "String"}, {Name: "_row", Type: "UInt64"},
		{Name: "_load_seq", Type: "UInt64"}, {Name: "reason", Type: "String"}}
	for _, c := range b.Columns {
		quarCols = append(quarCols, warehouse.Column{Name: c.Name, Type: "String"})
	}
	steps = append(steps,
		materialize.Step{Purpose: "create " + target.String(), SQL: "CREATE TABLE IF NOT EXISTS " + target.String() +
			" (" + columnDefs(cols) + ") ENGINE = MergeTree PARTITION BY _load_seq ORDER BY " + orderBy},
		materialize.Step{Purpose: "create " + quar.String(), SQL: "CREATE TABLE IF NOT EXISTS " + quar.String() +
			" (" + columnDefs(quarCols) + ") ENGINE = MergeTree PARTITION BY _load_seq ORDER BY _row"},
	)
	if !in.FullRefresh {
		// Partitions beyond the ledger are files a crashed run swapped in without committing.
		last := strconv.FormatUint(b.LastSeq, 10)
		steps = append(steps,
			dropPartitionsWhere("drop uncommitted files from "+target.String(), target, "_load_seq > "+last),
			dropPartitionsWhere("drop uncommitted files from "+quar.String(), quar, "_load_seq > "+last))
	}
	if len(b.Files) > 0 && !in.Caps.ReadsLocalFiles {
		return nil, fmt.Errorf("target %s cannot read local files; CDC loads need file() (use the embedded chdb target)", in.Caps.Kind)
	}
	for _, f := range b.Files {
		steps = append(steps, fileSteps(in, spec, b, f, target, quar, ledger, cols)...)
	}
	return steps, nil
}

func fileSteps(in materialize.Input, spec loadSpec, b *LoadBatch, f File, target, quar, ledger materialize.Relation, cols []warehouse.Column) []materialize.Step {
	seq := strconv.FormatUint(f.Seq, 10)
	cls := materialize.TempRelation(target, in.Suffix+"c"+seq)
	dups := materialize.TempRelation(target, in.Suffix+"d"+seq)
	rows := materialize.TempRelation(target, in.Suffix+"t"+seq)
	qrows := materialize.TempRelation(target, in.Suffix+"q"+seq)
	file := manifest.QuoteString(f.Path)
	what := " (" + f.Path + ")"

	// Raw text, with each column renamed _rN so the typed columns can take the real names. The
	// text is kept (as _qN) only for rows that go to quarantine: good rows need just the typed
	// columns, and storing both would double what the classification writes.
	var rawSel, structure, quarCols, typed, fails []string
	for i, c := range b.Columns {
		r := "_r" + strconv.Itoa(i)
		name := manifest.QuoteIdent(c.Name)
		rawSel = append(rawSel, name+" AS "+r)
		structure = append(structure, name+" String")
		typed = append(typed, typedExpr(r, c.Type)+" AS "+name)
		quarCols = append(quarCols, "if(_reason != '', "+r+", '') AS _q"+strconv.Itoa(i))
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
	if len(b.Rules) > 0 {
		parts := []string{"_type_error != ''", "_type_error"}
		for _, r := range b.Rules {
			parts = append(parts, "("+r.When+")", manifest.QuoteString(r.Reason))
		}
		reason = "multiIf(" + strings.Join(parts, ", ") + ", '')"
	}

	var stored []string
	for _, c := range b.Columns {
		stored = append(stored, storedExpr(manifest.QuoteIdent(c.Name), c.Type))
	}
	if spec.processed {
		stored = append(stored, "false")
	}
	stored = append(stored, "now()", file, "_row", seq)
	keep := "SELECT " + strings.Join(stored, ", ") + " FROM " + cls.String() + " WHERE _reason = ''"
	var dedupe []materialize.Step
	if len(spec.uniqueKey) > 0 {
		key := strings.Join(quoteAll(spec.uniqueKey), ", ")
		earlier := "SELECT " + key + " FROM " + target.String() + " WHERE _load_seq < " + seq
		if spec.scope != "" {
			s := manifest.QuoteIdent(spec.scope)
			earlier += " AND " + s + " IN (SELECT DISTINCT " + s + " FROM " + cls.String() + " WHERE _reason = '')"
		}
		// The first delivery wins: a row is a duplicate when its key was loaded from an earlier
		// file or is on a lower row of this file (LIMIT 1, max BY skips each key's first row).
		// Only the duplicates' row numbers are collected, reading just the key, so the copy of
		// the good rows below needs no ORDER BY and runs on every core. Earlier keys are matched
		// with a semi join: `key IN (earlier)` over a week of 24M event ids at 1M users needed
		// more than 21 GB, the join about 4 GB.
		dedupe = []materialize.Step{{Purpose: "find the duplicates" + what, SQL: "CREATE TABLE " + dups.String() +
			" ENGINE = MergeTree ORDER BY _row AS SELECT _row FROM " + cls.String() + " AS c LEFT SEMI JOIN (" + earlier + ") AS e USING (" + key +
			") WHERE c._reason = '' UNION ALL SELECT _row FROM (SELECT _row, " + key + " FROM " + cls.String() + " WHERE _reason = '' ORDER BY _row LIMIT 1, " +
			"18446744073709551615 BY " + key + ")"}}
		keep += " AND _row NOT IN (SELECT _row FROM " + dups.String() + ")"
	}
	counts := "SELECT (SELECT count() FROM " + cls.String() + ") AS d, (SELECT count() FROM " + rows.String() +
		") AS l, (SELECT count() FROM " + qrows.String() + ") AS q"

	var qcols []string
	for i := range b.Columns {
		qcols = append(qcols, "_q"+strconv.Itoa(i))
	}
	steps := []materialize.Step{
		{Purpose: "read, convert and classify the rows" + what, SQL: "CREATE TABLE " + cls.String() + " ENGINE = MergeTree ORDER BY _row AS SELECT _row, " +
			strings.Join(typed, ", ") + ", " + typeErr + " AS _type_error, " + reason + " AS _reason, " + strings.Join(quarCols, ", ") +
			" FROM (SELECT " + strings.Join(rawSel, ", ") + ", toUInt64(assumeNotNull(_row_number) + 1) AS _row FROM file(" + manifest.QuoteString(f.Abs) +
			", 'CSVWithNames', " + manifest.QuoteString(strings.Join(structure, ", ")) + ")) SETTINGS " + csvSettings(delimiter(in.Node))},
	}
	steps = append(steps, dedupe...)
	steps = append(steps,
		materialize.Step{Purpose: "create " + rows.String(), SQL: "CREATE TABLE " + rows.String() + " AS " + target.String()},
		materialize.Step{Purpose: "keep the good rows" + what, SQL: "INSERT INTO " + rows.String() + " (" + columnNames(cols) + ") " + keep, CountRows: true},
		materialize.Step{Purpose: "create " + qrows.String(), SQL: "CREATE TABLE " + qrows.String() + " AS " + quar.String()},
		materialize.Step{Purpose: "quarantine the bad rows" + what, SQL: "INSERT INTO " + qrows.String() + " SELECT " + file + ", _row, " + seq +
			", _reason, " + strings.Join(qcols, ", ") + " FROM " + cls.String() + " WHERE _reason != ''"},
		materialize.Step{Purpose: "swap " + f.Path + " into " + target.String(), SQL: "ALTER TABLE " + target.String() + " REPLACE PARTITION ID '" + seq + "' FROM " + rows.String() + replaceEmpty},
		materialize.Step{Purpose: "swap " + f.Path + " into " + quar.String(), SQL: "ALTER TABLE " + quar.String() + " REPLACE PARTITION ID '" + seq + "' FROM " + qrows.String() + replaceEmpty},
		materialize.Step{Purpose: "commit " + f.Path + " in the ledger", SQL: "INSERT INTO " + ledger.String() +
			" (model, kind, file, sha256, seq, delivered, loaded, duplicates, quarantined, loaded_at) SELECT " +
			manifest.QuoteString(modelKey(in.Node)) + ", 'file', " + file + ", " + manifest.QuoteString(f.SHA256) + ", " + seq +
			", d, l, d - l - q, q, now() FROM (" + counts + ")"},
		materialize.Step{Purpose: "drop " + cls.String(), SQL: dropTable(cls)},
		materialize.Step{Purpose: "drop " + rows.String(), SQL: dropTable(rows)},
		materialize.Step{Purpose: "drop " + qrows.String(), SQL: dropTable(qrows)})
	if len(dedupe) > 0 {
		steps = append(steps, materialize.Step{Purpose: "drop " + dups.String(), SQL: dropTable(dups)})
	}
	return steps
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

// csvSettings pin how ClickHouse reads the files whatever its defaults: columns by header name,
// empty fields as ” (every raw column is a String), spaces and single quotes kept as written.
func csvSettings(delim rune) string {
	return "format_csv_delimiter = " + manifest.QuoteString(string(delim)) +
		", input_format_with_names_use_header = 1, input_format_csv_empty_as_default = 1" +
		", format_csv_allow_single_quotes = 0, input_format_csv_trim_whitespaces = 0"
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
