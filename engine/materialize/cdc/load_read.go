package cdc

import (
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
)

// rawRead is how the rows of one file reach the classification: query gives the raw text
// columns _r0.. and _row (the 1-based data row), settings go on the statement that reads it,
// before runs first (the upload of a streamed file) and temps are dropped at the end.
type rawRead struct {
	query    string
	settings string
	before   []materialize.Step
	temps    []materialize.Relation
}

// readFile picks the path a file takes to the warehouse:
//   - an object is read by the warehouse itself with s3() (s3Cluster() on a cluster);
//   - a local file is read with file() when the warehouse sees this machine's disk (chDB);
//   - otherwise dwm reads it and streams its rows into a raw temporary table.
//
// All three give the same _r columns and _row, so classification and everything after it is
// one code path.
func readFile(in materialize.Input, b *LoadBatch, f File) rawRead {
	var sel, structure, names []string
	for i, c := range b.Columns {
		sel = append(sel, manifest.QuoteIdent(c.Name)+" AS _r"+strconv.Itoa(i))
		structure = append(structure, manifest.QuoteIdent(c.Name)+" String")
		names = append(names, manifest.QuoteString(c.Name))
	}
	format := b.format()
	src := fileSource{format: format, settings: formatSettings(format, delimiter(in.Node))}
	if format == FormatCSV {
		// CSV is read by position, the header being data row 0: with parallel parsing on (it
		// parses on every core), chDB 26.7 numbers the rows of CSVWithNames wrongly past the
		// first chunk, but plain CSV right (TestLoadRowNumbersPastTenMiB). b.Columns are
		// the header's columns in its order (loadColumns); row 0 must still name them, or the
		// file changed since Prepare read its header.
		changed := manifest.QuoteString(f.Path + ": the header changed while the file was being loaded; run again")
		src.format = "CSV"
		src.row = "toUInt64(_row_number) AS _row"
		got := quoteAll(columnNamesOf(b))
		// A UTF-8 byte order mark is read as part of the first name (readHeader drops it too).
		got[0] = "if(startsWith(" + got[0] + ", char(239, 187, 191)), substring(" + got[0] + ", 4), " + got[0] + ")"
		src.where = "_row_number > 0 OR throwIf((" + strings.Join(got, ", ") + ") != (" + strings.Join(names, ", ") + "), " + changed + ")"
	} else {
		// _row_number is 0-based; parallel parsing is off for JSON (formatSettings).
		src.row = "toUInt64(assumeNotNull(_row_number) + 1) AS _row"
	}
	// The table that holds the classified rows is created AS the target, so no CREATE (which
	// runs on every node of a cluster) reads the file or carries the object store's keys.
	return readSource(in, b, f, sel, structure, src)
}

// fileSource is how the warehouse reads a file by itself: the format given to file() or s3(),
// the expression of _row, a filter (the header row of a CSV) and the statement's settings.
type fileSource struct {
	format, row, where, settings string
}

// filter joins the source's filter with cond ("" for none) into a WHERE clause.
func (s fileSource) filter(cond string) string {
	var w []string
	for _, c := range []string{s.where, cond} {
		if c != "" {
			w = append(w, "("+c+")")
		}
	}
	if len(w) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w, " AND ")
}

func readSource(in materialize.Input, b *LoadBatch, f File, sel, structure []string, src fileSource) rawRead {
	switch {
	case f.Object != nil:
		// The object must be the one listed: a writer replacing it between the listing and this
		// read would otherwise be loaded under the old fingerprint.
		changed := manifest.QuoteString(f.Path + " changed while it was being loaded (its ETag is no longer " + f.ETag + "); run again")
		return rawRead{
			query: "SELECT " + strings.Join(sel, ", ") + ", " + src.row + " FROM " +
				b.Store.TableFunction(*f.Object, src.format, strings.Join(structure, ", "), in.Caps.Cluster) +
				src.filter("throwIf(_etag != "+manifest.QuoteString(f.ETag)+", "+changed+") = 0"),
			settings: src.settings + ", " + b.Store.Settings(),
		}
	case in.Caps.ReadsLocalFiles:
		return rawRead{
			query: "SELECT " + strings.Join(sel, ", ") + ", " + src.row + " FROM file(" + manifest.QuoteString(f.Abs) + ", " +
				manifest.QuoteString(src.format) + ", " + manifest.QuoteString(strings.Join(structure, ", ")) + ")" + src.filter(""),
			settings: src.settings,
		}
	}
	raw := materialize.TempRelation(materialize.Target(in.Node), in.Suffix+"r"+strconv.FormatUint(f.Seq, 10))
	cols := []string{"_row"}
	defs := []string{"`_row` UInt64"}
	var rawCols []string
	for i := range b.Columns {
		name := "_r" + strconv.Itoa(i)
		cols = append(cols, name)
		defs = append(defs, manifest.QuoteIdent(name)+" String")
		rawCols = append(rawCols, name)
	}
	up := &fileUpload{path: f.Abs, shown: f.Path, table: raw.String(), columns: cols, header: columnNamesOf(b),
		format: b.format(), delim: delimiter(in.Node)}
	return rawRead{
		query: "SELECT " + strings.Join(rawCols, ", ") + ", _row FROM " + raw.String(),
		// Blocks differ in _row, so a replicated table's insert deduplication cannot drop one.
		before: append([]materialize.Step{
			{Purpose: "create " + raw.String(), SQL: createTable(raw, false, in.Caps) + " (" + strings.Join(defs, ", ") + ") ENGINE = " +
				mergeTree(in.Caps) + " ORDER BY _row"},
			{Purpose: "send " + f.Path + " to " + raw.String(), SQL: up.describe(), Upload: up},
		}, materialize.SyncReplicas(raw, in.Caps)...),
		temps: []materialize.Relation{raw},
	}
}

// formatSettings pin how ClickHouse reads the files whatever its defaults. For CSV: the header
// read as a row (never detected and skipped), empty fields as ” (every raw column is a String),
// spaces and single quotes kept as written, parallel parsing on. For JSON parallel parsing is off:
// with it, chDB 26.7 numbered rows past the first 10 MiB chunk wrongly (_row_number), which
// pointed quarantined rows at the wrong line.
func formatSettings(format string, delim rune) string {
	if format == FormatJSON {
		return "input_format_parallel_parsing = 0"
	}
	return "format_csv_delimiter = " + manifest.QuoteString(string(delim)) +
		", input_format_csv_detect_header = 0, input_format_csv_empty_as_default = 1" +
		", format_csv_allow_single_quotes = 0, input_format_csv_trim_whitespaces = 0, input_format_parallel_parsing = 1"
}

func columnNamesOf(b *LoadBatch) []string {
	out := make([]string, len(b.Columns))
	for i, c := range b.Columns {
		out[i] = c.Name
	}
	return out
}
