package nativefmt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Source is what blocks are read from: a bytes.Reader, a bufio.Reader, a decompressing reader.
type Source interface {
	io.Reader
	io.ByteReader
}

// copyStep bounds how much the output grows per read, so a length the input only claims (a
// string of 2^40 bytes) costs memory only as its bytes actually arrive.
const copyStep = 64 << 10

// maxStringLen bounds column names and type names.
const maxStringLen = 1 << 16

// tee reads from src and appends what it read to dst, so a block is copied while it is measured.
// The first error sticks; callers check it once.
type tee struct {
	src  Source
	dst  []byte
	grow func(n int) error
	read int64 // bytes consumed from src, for error positions
	err  error
	// w, when set, receives dst whenever it passes copyStep (see Transcoder.Copy), so a block
	// streams through instead of being held whole.
	w       io.Writer
	written int // bytes handed to w
}

// spill hands dst to w once it has grown past copyStep. It runs only before a value is copied,
// so a value being read (at most copyStep bytes: a string, a u64) stays in dst.
func (t *tee) spill() {
	if t.w == nil || len(t.dst) < copyStep || t.err != nil {
		return
	}
	if _, err := t.w.Write(t.dst); err != nil {
		t.fail(err)
		return
	}
	t.written += len(t.dst)
	t.dst = t.dst[:0]
}

func (t *tee) fail(err error) {
	if t.err == nil {
		t.err = err
	}
}

// reserve asks grow for n more output bytes.
func (t *tee) reserve(n int) bool {
	if t.err != nil {
		return false
	}
	if t.grow != nil {
		if err := t.grow(n); err != nil {
			t.fail(err)
			return false
		}
	}
	return true
}

func (t *tee) byte() byte {
	if !t.reserve(1) {
		return 0
	}
	b, err := t.src.ReadByte()
	if err != nil {
		t.fail(eof(err))
		return 0
	}
	t.read++
	t.dst = append(t.dst, b)
	return b
}

func (t *tee) uvarint() uint64 {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		b := t.byte()
		if t.err != nil {
			return 0
		}
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v
		}
	}
	t.fail(fmt.Errorf("varint at byte %d overflows 64 bits", t.read))
	return 0
}

// take copies n bytes.
func (t *tee) take(n uint64) {
	for n > 0 && t.err == nil {
		step := n
		if step > copyStep {
			step = copyStep
		}
		if !t.reserve(int(step)) {
			return
		}
		if t.spill(); t.err != nil {
			return
		}
		start := len(t.dst)
		t.dst = append(t.dst, make([]byte, step)...)
		if _, err := io.ReadFull(t.src, t.dst[start:]); err != nil {
			t.dst = t.dst[:start]
			t.fail(eof(err))
			return
		}
		t.read += int64(step)
		n -= step
	}
}

// takeN copies count values of width bytes, refusing products that overflow.
func (t *tee) takeN(count, width uint64) {
	if width != 0 && count > (1<<62)/width {
		t.fail(fmt.Errorf("column of %d values of %d bytes is too large", count, width))
		return
	}
	t.take(count * width)
}

func (t *tee) u64() uint64 {
	t.take(8)
	if t.err != nil {
		return 0
	}
	return binary.LittleEndian.Uint64(t.dst[len(t.dst)-8:])
}

// str copies a length-prefixed string of at most max bytes and returns it.
func (t *tee) str(max uint64) string {
	n := t.uvarint()
	if t.err == nil && n > max {
		t.fail(fmt.Errorf("string of %d bytes at byte %d exceeds %d", n, t.read, max))
	}
	t.take(n)
	if t.err != nil {
		return ""
	}
	return string(t.dst[len(t.dst)-int(n):])
}

// eof reports a block that ends early as io.ErrUnexpectedEOF; a clean io.EOF stays io.EOF only
// at a block boundary, which the caller checks before reading.
func eof(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
