package sink

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Formats the sink writes.
const (
	PeerDB   = "peerdb"
	Debezium = "debezium"
)

// Conn is where the tables go: a ClickHouse server (OpenClickHouse) or anything that runs SQL
// (ExecConn, which the CLI uses for the embedded engine).
type Conn interface {
	// Exec runs one statement.
	Exec(ctx context.Context, sql string) error
	// Insert appends rows to table (a quoted db.table); each row holds one value per column as
	// the text the generator wrote ("" is NULL for a Nullable column).
	Insert(ctx context.Context, table string, cols []Column, rows [][]string) error
}

// Options say what to write where.
type Options struct {
	// Format is PeerDB or Debezium.
	Format string
	// Database receives the tables; created when missing.
	Database string
	// Out is the generator's output folder (Out/w000, Out/w001, ...).
	Out string
	// Weeks are the folders to deliver, in order (0 is the reference data).
	Weeks []int
	// Start is the Monday of week 1: week k is synced at the Monday after it, Start + 7k days.
	Start time.Time
}

// Delivered counts the rows written per table.
type Delivered map[string]int

// Write creates the tables if needed and appends the given weeks' changes as the tool would. The
// cursor values (_peerdb_version, _offset) are functions of the week and the row's place in its
// file, so delivering a week again writes the same rows with the same cursors, as a tool that
// retries a batch or a consumer that restarts before committing its offsets does.
func Write(ctx context.Context, c Conn, o Options) (Delivered, error) {
	if o.Format != PeerDB && o.Format != Debezium {
		return nil, fmt.Errorf("sink: format %q: want %s or %s", o.Format, PeerDB, Debezium)
	}
	if o.Database == "" {
		o.Database = o.Format
	}
	if err := c.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(o.Database)); err != nil {
		return nil, fmt.Errorf("sink: create database %s: %w", o.Database, err)
	}
	for _, t := range tables {
		if err := c.Exec(ctx, createSQL(o, t)); err != nil {
			return nil, fmt.Errorf("sink: create %s.%s: %w", o.Database, t.name, err)
		}
	}
	out := Delivered{}
	for _, week := range o.Weeks {
		dir := filepath.Join(o.Out, fmt.Sprintf("w%03d", week))
		synced := o.Start.AddDate(0, 0, 7*week)
		for _, t := range tables {
			path := filepath.Join(dir, t.name+".csv")
			header, rows, err := readCSV(path)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return out, fmt.Errorf("sink: %w", err)
			}
			cols, recs, err := shape(o.Format, t, week, synced, header, rows)
			if err != nil {
				return out, fmt.Errorf("sink: %s: %w", path, err)
			}
			if err := c.Insert(ctx, quoteIdent(o.Database)+"."+quoteIdent(t.name), cols, recs); err != nil {
				return out, fmt.Errorf("sink: insert %s into %s.%s: %w", path, o.Database, t.name, err)
			}
			out[t.name] += len(recs)
		}
	}
	return out, nil
}

// createSQL is the table a tool writes into: append-only (MergeTree), ordered by the key. PeerDB
// creates ReplacingMergeTree tables by default, whose merges would drop the intermediate versions
// a history needs; the MergeTree engine is its option for append-only change tables.
func createSQL(o Options, t table) string {
	cols := t.columns(o.Format)
	key := t.key
	if t.cdc && o.Format == Debezium {
		key = []string{"_offset"}
	}
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = quoteIdent(c.Name) + " " + c.Type
	}
	qk := make([]string, len(key))
	for i, k := range key {
		qk[i] = quoteIdent(k)
	}
	return "CREATE TABLE IF NOT EXISTS " + quoteIdent(o.Database) + "." + quoteIdent(t.name) + " (" + strings.Join(defs, ", ") +
		") ENGINE = MergeTree ORDER BY (" + strings.Join(qk, ", ") + ")"
}

// columns are the table's columns followed by the ones the tool adds.
func (t table) columns(format string) []Column {
	cols := append([]Column{}, t.cols...)
	switch {
	case !t.cdc:
		return append(cols, kafkaColumns...)
	case format == PeerDB:
		return append(cols, peerdbColumns...)
	}
	return append(append(cols, debeziumColumns...), kafkaColumns...)
}

// shape turns the generator's rows of one file into the tool's rows.
func shape(format string, t table, week int, synced time.Time, header []string, rows [][]string) ([]Column, [][]string, error) {
	pos := map[string]int{}
	for i, h := range header {
		pos[h] = i
	}
	for _, c := range append([]Column{{Name: "op"}}, t.cols...) {
		if _, ok := pos[c.Name]; !ok && (c.Name != "op" || t.cdc) {
			return nil, nil, fmt.Errorf("no column %s in the header %v", c.Name, header)
		}
	}
	cols := t.columns(format)
	syncMS := synced.UnixMilli()
	out := make([][]string, 0, len(rows))
	for i, r := range rows {
		rec := make([]string, 0, len(cols))
		for _, c := range t.cols {
			rec = append(rec, r[pos[c.Name]])
		}
		if t.cdc {
			op := r[pos["op"]]
			switch format {
			case PeerDB:
				// Versions grow with every row PeerDB writes: nanoseconds of the sync, plus the row.
				at := synced.Add(time.Duration(i))
				rec = append(rec, at.Format("2006-01-02 15:04:05.000000000"), flag(op == "DELETE"), strconv.FormatInt(at.UnixNano(), 10))
				out = append(out, rec)
				continue
			default:
				ts, err := time.Parse("2006-01-02 15:04:05", r[pos["cdc_timestamp"]])
				if err != nil {
					return nil, nil, fmt.Errorf("row %d: cdc_timestamp: %w", i+1, err)
				}
				code, err := debeziumOp(op, week)
				if err != nil {
					return nil, nil, fmt.Errorf("row %d: %w", i+1, err)
				}
				deleted := "false"
				if code == "d" {
					deleted = "true"
				}
				rec = append(rec, code, strconv.FormatInt(ts.UnixMilli(), 10), strconv.FormatInt(syncMS, 10), deleted)
			}
		}
		// One partition per topic, so the offset orders the topic; offsets are week*1e9 + row.
		rec = append(rec, "duolingo.public."+t.name, "0", strconv.FormatInt(int64(week)*1_000_000_000+int64(i), 10),
			synced.Format("2006-01-02 15:04:05.000"))
		out = append(out, rec)
	}
	return cols, out, nil
}

// debeziumOp maps the generator's op to Debezium's code: the reference data (week 0) is the
// initial snapshot (r), later INSERTs are creates (c).
func debeziumOp(op string, week int) (string, error) {
	switch {
	case op == "INSERT" && week == 0:
		return "r", nil
	case op == "INSERT":
		return "c", nil
	case op == "UPDATE":
		return "u", nil
	case op == "DELETE":
		return "d", nil
	}
	return "", fmt.Errorf("op %q: want INSERT, UPDATE or DELETE", op)
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// readCSV reads a generator CSV: its header and data rows.
func readCSV(path string) ([]string, [][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: header: %w", path, err)
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return header, rows, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		rows = append(rows, rec)
	}
}

func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "`", "\\`") + "`"
}
