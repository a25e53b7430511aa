package tcp

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	chcompress "github.com/ClickHouse/ch-go/compress"
	"github.com/go-faster/city"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// ClickHouse's compressed frame: a CityHash128 checksum of the rest, a method byte, the frame
// size (from the method byte on) and the data size, then the compressed data.
const (
	frameChecksum = 16
	frameHeader   = 9 // method, compressed size, data size
	methodNone    = 0x02
	methodLZ4     = 0x82
	methodZSTD    = 0x90
	// frameSize is how much data one frame of ours carries, ClickHouse's max_compress_block_size.
	frameSize = 1 << 20
)

// frameReader decompresses a client's frames on demand. Its buffers are charged to the
// connection's account as they grow, and a frame may not claim more than max bytes either way,
// so a client that only announces a huge frame costs nothing until it sends the bytes.
type frameReader struct {
	src  *bufio.Reader
	max  int
	acct *account
	raw  []byte
	data []byte
	pos  int
	zstd *zstd.Decoder
}

func (f *frameReader) ReadByte() (byte, error) {
	if f.pos == len(f.data) {
		if err := f.next(); err != nil {
			return 0, err
		}
	}
	b := f.data[f.pos]
	f.pos++
	return b, nil
}

func (f *frameReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if f.pos == len(f.data) {
		if err := f.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, f.data[f.pos:])
	f.pos += n
	return n, nil
}

// drained reports whether the last frame was read to its end: a block ends with its frame.
func (f *frameReader) drained() bool { return f.pos == len(f.data) }

func (f *frameReader) next() error {
	f.raw = f.raw[:0]
	if err := f.read(frameChecksum + frameHeader); err != nil {
		return err
	}
	h := f.raw[frameChecksum:]
	method := h[0]
	compressed := int(binary.LittleEndian.Uint32(h[1:])) - frameHeader
	size := int(binary.LittleEndian.Uint32(h[5:]))
	if compressed < 0 || compressed > f.max || size > f.max {
		return protocolError("compressed frame of %d bytes (%d uncompressed) exceeds the limit of %d", compressed, size, f.max)
	}
	if err := f.read(compressed); err != nil {
		return err
	}
	want := city.U128{Low: binary.LittleEndian.Uint64(f.raw[0:]), High: binary.LittleEndian.Uint64(f.raw[8:])}
	if got := city.CH128(f.raw[frameChecksum:]); got != want {
		return &checksumError{}
	}
	payload := f.raw[frameChecksum+frameHeader:]
	if err := f.reserve(&f.data, size); err != nil {
		return err
	}
	f.data, f.pos = f.data[:size], 0
	switch method {
	case methodNone:
		if len(payload) != size {
			return protocolError("uncompressed frame of %d bytes says %d", len(payload), size)
		}
		copy(f.data, payload)
	case methodLZ4:
		n, err := lz4.UncompressBlock(payload, f.data)
		if err != nil || n != size {
			return protocolError("LZ4 frame does not decompress to its %d bytes: %v", size, err)
		}
	case methodZSTD:
		if f.zstd == nil {
			d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecodeAllCapLimit(true),
				zstd.WithDecoderMaxMemory(uint64(f.max)))
			if err != nil {
				return err
			}
			f.zstd = d
		}
		out, err := f.zstd.DecodeAll(payload, f.data[:0])
		if err != nil || len(out) != size {
			return protocolError("ZSTD frame does not decompress to its %d bytes: %v", size, err)
		}
	default:
		return protocolError("unknown compression method %#x", method)
	}
	return nil
}

// read appends n bytes from the socket to raw, growing it only as bytes arrive.
func (f *frameReader) read(n int) error {
	for n > 0 {
		step := min(n, 64<<10)
		start := len(f.raw)
		if err := f.reserve(&f.raw, start+step); err != nil {
			return err
		}
		f.raw = f.raw[:start+step]
		if _, err := io.ReadFull(f.src, f.raw[start:]); err != nil {
			return err
		}
		n -= step
	}
	return nil
}

// reserve makes cap(*b) at least n, charging the growth to the account.
func (f *frameReader) reserve(b *[]byte, n int) error {
	if cap(*b) >= n {
		return nil
	}
	grown := max(n, 2*cap(*b))
	if grown > f.max+frameChecksum+frameHeader {
		grown = n
	}
	if err := f.acct.take(grown - cap(*b)); err != nil {
		return err
	}
	nb := make([]byte, len(*b), grown)
	copy(nb, *b)
	*b = nb
	return nil
}

// close releases the buffers and the decoder.
func (f *frameReader) close() {
	f.acct.give(cap(f.raw) + cap(f.data))
	f.raw, f.data, f.pos = nil, nil, 0
	if f.zstd != nil {
		f.zstd.Close()
		f.zstd = nil
	}
}

type checksumError struct{}

func (*checksumError) Error() string {
	return "checksum of a compressed frame does not match (CityHash128): corrupted data"
}

// frameWriter compresses what a connection sends in frames of frameSize.
type frameWriter struct {
	lz4, zstd *chcompress.Writer
}

// method parses network_compression_method as ClickHouse names it; LZ4 is the default.
func compressionMethod(name string) (chcompress.Method, error) {
	switch strings.ToUpper(name) {
	case "", "LZ4":
		return chcompress.LZ4, nil
	case "ZSTD":
		return chcompress.ZSTD, nil
	case "NONE":
		return chcompress.None, nil
	}
	return 0, fmt.Errorf("network_compression_method %q is not supported (LZ4, ZSTD or NONE)", name)
}

// appendFrames compresses data with m and appends the frames to dst.
func (w *frameWriter) appendFrames(dst, data []byte, m chcompress.Method) ([]byte, error) {
	var cw *chcompress.Writer
	switch m {
	case chcompress.ZSTD:
		if w.zstd == nil {
			w.zstd = chcompress.NewWriter(chcompress.LevelZero, chcompress.ZSTD)
		}
		cw = w.zstd
	case chcompress.None:
		cw = chcompress.NewWriter(chcompress.LevelZero, chcompress.None)
	default:
		if w.lz4 == nil {
			w.lz4 = chcompress.NewWriter(chcompress.LevelZero, chcompress.LZ4)
		}
		cw = w.lz4
	}
	for len(data) > 0 {
		n := min(len(data), frameSize)
		if err := cw.Compress(data[:n]); err != nil {
			return dst, err
		}
		dst = append(dst, cw.Data...)
		data = data[n:]
	}
	return dst, nil
}
