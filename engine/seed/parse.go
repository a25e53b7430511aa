package seed

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/utf8check"
)

// Options control parsing. The zero value reads comma-separated files with inferred types.
type Options struct {
	// Delimiter separates fields; 0 means ','.
	Delimiter rune
	// ColumnTypes overrides the inferred ClickHouse type of the named columns.
	ColumnTypes map[string]string
}

// ConfigKeys are the seed-specific config keys, next to the table options seeds also accept.
func ConfigKeys() []string { return []string{"column_types", "delimiter"} }

// OptionsFrom reads a seed's parsing options from its config.
func OptionsFrom(cfg manifest.Config) (Options, error) {
	opts := Options{ColumnTypes: cfg.ColumnTypes}
	if cfg.Delimiter != "" {
		r, size := utf8.DecodeRuneInString(cfg.Delimiter)
		if size != len(cfg.Delimiter) || r >= utf8.RuneSelf || r == '"' || r == '\r' || r == '\n' {
			// ClickHouse's format_csv_delimiter is one byte.
			return Options{}, fmt.Errorf("delimiter %q: want one ASCII character other than a quote or newline", cfg.Delimiter)
		}
		opts.Delimiter = r
	}
	return opts, nil
}

// Column is a seed column and its ClickHouse type.
type Column struct {
	Name string
	Type string
}

// Schema is what Parse learned about a seed file.
type Schema struct {
	// File is the path the seed was read from, as given to Parse.
	File      string
	Delimiter rune
	Columns   []Column
	// Rows counts data rows, the header excluded.
	Rows int
}

// Structure is the column list in the form file() and CREATE TABLE take: "`a` Int64, `b` String".
func (s *Schema) Structure() string {
	parts := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		parts[i] = manifest.QuoteIdent(c.Name) + " " + c.Type
	}
	return strings.Join(parts, ", ")
}

// Parse reads the seed at path in fsys in one streaming pass: it checks the CSV syntax (RFC 4180
// with a header row) and the field count of every row, infers column types, applies and checks
// opts.ColumnTypes, and returns the first problem as a *ParseError naming file:line:col.
func Parse(fsys fs.FS, path string, opts Options) (*Schema, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seed %s: %w", path, err)
	}
	defer f.Close()
	return parse(f, path, opts)
}

func parse(r io.Reader, path string, opts Options) (*Schema, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	// A UTF-8 byte order mark would otherwise become part of the first column's name.
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	if opts.Delimiter != 0 {
		cr.Comma = opts.Delimiter
	}
	delim := cr.Comma
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &ParseError{File: path, Line: 1, Col: 1, Msg: "empty file: a seed needs a header row"}
	}
	if err != nil {
		return nil, csvError(path, err, nil, 0)
	}
	header = append([]string(nil), header...) // ReuseRecord would overwrite it
	seen := make(map[string]bool, len(header))
	for i, name := range header {
		line, col := cr.FieldPos(i)
		if err := notUTF8(path, name, line, col); err != nil {
			return nil, err
		}
		switch {
		case strings.TrimSpace(name) == "":
			return nil, &ParseError{File: path, Line: line, Col: col, Msg: fmt.Sprintf("column %d has an empty name", i+1)}
		case seen[name]:
			return nil, &ParseError{File: path, Line: line, Col: col, Msg: fmt.Sprintf("duplicate column name %q", name)}
		}
		seen[name] = true
	}
	checkers, err := overrides(path, header, opts.ColumnTypes)
	if err != nil {
		return nil, err
	}
	infer := make([]inferrer, len(header))
	for i := range infer {
		infer[i] = newInferrer()
	}
	rows := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(path, err, rec, len(header))
		}
		rows++
		for i, v := range rec {
			if !utf8.ValidString(v) {
				line, col := cr.FieldPos(i)
				return nil, notUTF8(path, v, line, col)
			}
			if c := checkers[i]; c != nil {
				if msg := c.validate(v); msg != "" {
					line, col := cr.FieldPos(i)
					return nil, &ParseError{File: path, Line: line, Col: col, Msg: fmt.Sprintf("column %q: %s", header[i], msg)}
				}
				continue
			}
			infer[i].add(v)
		}
	}
	s := &Schema{File: path, Delimiter: delim, Rows: rows, Columns: make([]Column, len(header))}
	for i, name := range header {
		s.Columns[i] = Column{Name: name}
		if c := checkers[i]; c != nil {
			s.Columns[i].Type = c.typ
		} else {
			s.Columns[i].Type = infer[i].typ()
		}
	}
	return s, nil
}

// overrides returns one checker per header column (nil where the type is inferred).
// notUTF8 refuses a field that is not UTF-8 at its own position: ClickHouse would store the bytes
// as they are and every later comparison with a UTF-8 literal would silently miss.
func notUTF8(path, field string, line, col int) error {
	if off := utf8check.Offset(field); off >= 0 {
		return &ParseError{File: path, Line: line, Col: col + off, Msg: fmt.Sprintf("not valid UTF-8 (byte 0x%02x): save the file as UTF-8", field[off])}
	}
	return nil
}

func overrides(path string, header []string, types map[string]string) ([]*checker, error) {
	out := make([]*checker, len(header))
	if len(types) == 0 {
		return out, nil
	}
	index := make(map[string]int, len(header))
	for i, n := range header {
		index[n] = i
	}
	names := make([]string, 0, len(types))
	for n := range types {
		names = append(names, n)
	}
	sort.Strings(names) // report the same unknown column first on every run
	for _, n := range names {
		i, ok := index[n]
		if !ok {
			return nil, fmt.Errorf("seed %s: column_types names column %q, which is not in the header (%s)", path, n, strings.Join(header, ", "))
		}
		if strings.TrimSpace(types[n]) == "" {
			return nil, fmt.Errorf("seed %s: column_types: empty type for column %q", path, n)
		}
		c := newChecker(types[n])
		out[i] = &c
	}
	return out, nil
}

// csvError turns encoding/csv's errors into ParseErrors with dwm's wording.
func csvError(path string, err error, rec []string, want int) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("seed %s: %w", path, err)
	}
	msg := pe.Err.Error()
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		msg = fmt.Sprintf("wrong number of fields: got %d, the header has %d", len(rec), want)
	case errors.Is(pe.Err, csv.ErrBareQuote):
		msg = `bare " in an unquoted field (quote the whole field and double the quote: "a ""b""")`
	case errors.Is(pe.Err, csv.ErrQuote) && pe.StartLine != pe.Line:
		msg = fmt.Sprintf(`quoted field is never closed (the record starts on line %d)`, pe.StartLine)
	case errors.Is(pe.Err, csv.ErrQuote):
		msg = `extraneous or missing " in a quoted field`
	}
	return &ParseError{File: path, Line: pe.Line, Col: pe.Column, Msg: msg}
}
