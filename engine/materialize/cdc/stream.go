package cdc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// Streamed blocks are bounded both ways, so memory stays flat whatever the file's size: a block
// is sent once it holds blockRows rows or blockBytes bytes of field text.
const (
	blockRows  = 65536
	blockBytes = 8 << 20
)

// fileUpload streams a local file into a raw table (_row UInt64, _r0 String, ...) for a target
// that cannot read this machine's files. dwm parses the file and numbers the rows itself, so _row
// is the same 1-based data row that file() gives.
type fileUpload struct {
	path, shown string   // absolute path; the name in messages and the ledger
	table       string   // quoted raw table
	columns     []string // _row, _r0, _r1, ...
	header      []string // the columns the file must have, in order (CSV)
	format      string
	delim       rune
}

// describe is the run log's line for the upload: what goes where, never the data.
func (u *fileUpload) describe() string {
	return fmt.Sprintf("-- dwm reads %s and sends its rows in blocks of at most %d rows: INSERT INTO %s (%s) FORMAT Native",
		u.shown, blockRows, u.table, strings.Join(u.columns, ", "))
}

// Send implements materialize.Upload.
func (u *fileUpload) Send(ctx context.Context, wh warehouse.Warehouse) (warehouse.Stats, error) {
	f, err := os.Open(u.path)
	if err != nil {
		return warehouse.Stats{}, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	if b, err := r.Peek(len(bom)); err == nil && string(b) == bom {
		_, _ = r.Discard(len(bom))
	}
	var total warehouse.Stats
	blk := newBlock(len(u.columns) - 1)
	flush := func() error {
		if blk.n == 0 {
			return nil
		}
		st, err := warehouse.Insert(ctx, wh, u.table, u.columns, blk.data())
		if err != nil {
			return fmt.Errorf("%s: send rows %d-%d: %w", u.shown, blk.rows[0], blk.rows[blk.n-1], err)
		}
		total.RowsWritten += st.RowsWritten
		total.Elapsed += st.Elapsed
		blk.reset()
		return nil
	}
	add := func(row uint64, fields []string) error {
		blk.add(row, fields)
		if blk.n >= blockRows || blk.bytes >= blockBytes {
			return flush()
		}
		return nil
	}
	if u.format == FormatJSON {
		err = readJSONRows(r, u.shown, add)
	} else {
		err = u.readCSVRows(r, add)
	}
	if err != nil {
		return total, err
	}
	return total, flush()
}

// readCSVRows checks the header and hands each data row with its 1-based number to add.
func (u *fileUpload) readCSVRows(r io.Reader, add func(uint64, []string) error) error {
	cr := csv.NewReader(r)
	cr.Comma = u.delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: no header row (the file is empty)", u.shown)
	}
	if err != nil {
		return fmt.Errorf("%s: read header: %w", u.shown, err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	if strings.Join(header, ",") != strings.Join(u.header, ",") {
		return fmt.Errorf("%s: header (%s) is not the one dwm planned with (%s); the file changed during the run, run again",
			u.shown, strings.Join(header, ", "), strings.Join(u.header, ", "))
	}
	for row := uint64(1); ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", u.shown, err) // csv.ParseError names the line and column
		}
		if len(rec) != len(u.header) {
			line, _ := cr.FieldPos(0)
			return fmt.Errorf("%s:%d: data row %d has %d fields, the header has %d", u.shown, line, row, len(rec), len(u.header))
		}
		if err := add(row, rec); err != nil {
			return err
		}
	}
}

// readJSONRows hands each top-level JSON object (or each element of a top-level array) to add as
// its exact text, as ClickHouse's JSONAsString does.
func readJSONRows(r *bufio.Reader, shown string, add func(uint64, []string) error) error {
	dec := json.NewDecoder(r)
	row := uint64(0)
	next := func() error {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		row++
		return add(row, []string{string(v)})
	}
	first, err := firstByte(r)
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w", shown, err)
	case first == '[':
		if _, err := dec.Token(); err != nil {
			return fmt.Errorf("%s: %w", shown, err)
		}
		for dec.More() {
			if err := next(); err != nil {
				return fmt.Errorf("%s: row %d: %w", shown, row+1, err)
			}
		}
		return nil
	}
	for {
		err := next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: row %d: %w", shown, row+1, err)
		}
	}
}

// firstByte peeks at the first byte that is not white space.
func firstByte(r *bufio.Reader) (byte, error) {
	for i := 1; ; i++ {
		b, err := r.Peek(i)
		if len(b) < i {
			return 0, err
		}
		if c := b[i-1]; !bytes.ContainsRune([]byte(" \t\r\n"), rune(c)) {
			return c, nil
		}
	}
}

// block is the rows collected for one Insert, column by column.
type block struct {
	rows   []uint64
	fields [][]string
	n      int
	bytes  int
}

func newBlock(cols int) *block { return &block{fields: make([][]string, cols)} }

func (b *block) add(row uint64, fields []string) {
	b.rows = append(b.rows, row)
	for i, f := range fields {
		b.fields[i] = append(b.fields[i], f) // csv builds a new string per record, so ReuseRecord is safe
		b.bytes += len(f)
	}
	b.n++
}

func (b *block) data() []any {
	out := []any{b.rows}
	for _, f := range b.fields {
		out = append(out, f)
	}
	return out
}

func (b *block) reset() {
	b.rows = b.rows[:0]
	for i := range b.fields {
		b.fields[i] = b.fields[i][:0]
	}
	b.n, b.bytes = 0, 0
}
