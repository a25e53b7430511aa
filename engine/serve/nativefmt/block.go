// Package nativefmt reads and writes ClickHouse's Native block layout, which differs by protocol
// revision: libchdb reads and writes the file layout (revision 0), while a server speaking to a
// client of revision r adds a block-info header to every block and, from revision 54454 on, a
// "custom serialization" byte after each column's type. Column data is identical in both, so a
// block is transcoded by copying it while measuring each column's data from its type.
package nativefmt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// RevisionCustomSerialization is DBMS_MIN_REVISION_WITH_CUSTOM_SERIALIZATION: from this protocol
// revision on, every column header carries a "has custom serialization" byte.
const RevisionCustomSerialization = 54454

// Limits of one block; anything above is refused before its data is read.
const (
	MaxColumns = 10000
	MaxRows    = 1 << 30
)

// Column is a column's name and ClickHouse type.
type Column struct {
	Name string
	Type string
}

// Block describes a block that was transcoded.
type Block struct {
	Columns []Column
	Rows    uint64
	// Bytes is the size of the block as written, for ProfileInfo.
	Bytes int
}

// Transcoder copies blocks from one protocol revision's layout to another's.
type Transcoder struct {
	From, To uint64
	// Grow, when set, is asked before the output grows by n bytes; its error stops the block.
	// A server uses it to bound what a client can make it buffer.
	Grow func(n int) error
}

// Block reads one block from src and appends it to dst in the To layout. An empty src at the
// start of a block gives io.EOF; anything that ends inside a block is io.ErrUnexpectedEOF.
func (tr Transcoder) Block(dst []byte, src Source) ([]byte, Block, error) {
	t := &tee{dst: dst, grow: tr.Grow}
	b, err := tr.block(t, src)
	if err != nil {
		return dst, Block{}, err
	}
	return t.dst, b, nil
}

// Copy transcodes every block of src to w, until src ends between two blocks. Column data
// passes through in pieces of about 64 KiB as it is measured, so a block of any size streams
// in bounded memory; a block that turns out to be malformed has been partly written by then.
func (tr Transcoder) Copy(w io.Writer, src Source) error {
	t := &tee{w: w, grow: tr.Grow}
	for {
		t.dst, t.written = t.dst[:0], 0
		_, err := tr.block(t, src)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := w.Write(t.dst); err != nil {
			return err
		}
	}
}

// block transcodes one block from src onto t.
func (tr Transcoder) block(t *tee, src Source) (Block, error) {
	first, err := src.ReadByte()
	if err != nil {
		return Block{}, err // io.EOF between blocks is the caller's end of input
	}
	start := len(t.dst)
	t.src = &held{b: first, src: src}
	if tr.From > 0 {
		readBlockInfo(t)
		t.dst = t.dst[:start] // rewritten below in the To layout
	}
	if tr.To > 0 {
		t.dst = AppendBlockInfo(t.dst)
	}
	cols, rows := t.uvarint(), t.uvarint()
	if t.err == nil && (cols > MaxColumns || rows > MaxRows) {
		t.fail(fmt.Errorf("block of %d columns and %d rows exceeds the limits (%d, %d)", cols, rows, MaxColumns, MaxRows))
	}
	b := Block{Rows: rows}
	for c := uint64(0); c < cols && t.err == nil; c++ {
		col := Column{Name: t.str(maxStringLen), Type: t.str(maxStringLen)}
		b.Columns = append(b.Columns, col)
		if tr.From >= RevisionCustomSerialization {
			if custom := t.byte(); t.err == nil {
				t.dst = t.dst[:len(t.dst)-1]
				if custom != 0 {
					t.fail(fmt.Errorf("column %s: custom (sparse) serialization is not supported", col.Name))
				}
			}
		}
		if tr.To >= RevisionCustomSerialization {
			t.dst = append(t.dst, 0)
		}
		if t.err != nil || rows == 0 { // an empty block has no column data, not even state prefixes
			continue
		}
		typ, err := parseType(col.Type)
		if err == nil {
			err = walkColumn(t, typ, rows)
		}
		if err != nil {
			t.fail(fmt.Errorf("column %s %s: %w", col.Name, col.Type, err))
		}
	}
	if t.err != nil {
		return Block{}, fmt.Errorf("native block: %w", t.err)
	}
	b.Bytes = t.written + len(t.dst) - start
	return b, nil
}

// held is a Source whose first byte was already read.
type held struct {
	b    byte
	done bool
	src  Source
}

func (h *held) ReadByte() (byte, error) {
	if !h.done {
		h.done = true
		return h.b, nil
	}
	return h.src.ReadByte()
}

func (h *held) Read(p []byte) (int, error) {
	if !h.done && len(p) > 0 {
		h.done = true
		p[0] = h.b
		return 1, nil
	}
	return h.src.Read(p)
}

// readBlockInfo consumes the block-info fields (is_overflows, bucket_num) up to field 0.
func readBlockInfo(t *tee) {
	for i := 0; t.err == nil; i++ {
		if i > 8 {
			t.fail(fmt.Errorf("block info has too many fields"))
			return
		}
		switch field := t.uvarint(); field {
		case 0:
			return
		case 1:
			t.byte()
		case 2:
			t.take(4)
		default:
			t.fail(fmt.Errorf("unknown block info field %d", field))
		}
	}
}

// AppendBlockInfo appends the block info a server writes for an ordinary block: field 1
// is_overflows=false, field 2 bucket_num=-1, field 0 ends it.
func AppendBlockInfo(dst []byte) []byte {
	return append(dst, 1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0)
}

// AppendHeader appends an empty block with the given columns in revision's layout: what a server
// sends first for a result, and in answer to an INSERT that waits for data.
func AppendHeader(dst []byte, revision uint64, cols []Column) []byte {
	if revision > 0 {
		dst = AppendBlockInfo(dst)
	}
	dst = binary.AppendUvarint(dst, uint64(len(cols)))
	dst = binary.AppendUvarint(dst, 0)
	for _, c := range cols {
		dst = appendString(dst, c.Name)
		dst = appendString(dst, c.Type)
		if revision >= RevisionCustomSerialization {
			dst = append(dst, 0)
		}
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}
