package serve

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	chcompress "github.com/ClickHouse/ch-go/compress"
	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// answer is a statement's response body. It holds the first bytes back (holdMax) so that a
// statement that fails early still gets a proper status and exception header, then streams.
// With spill (wait_end_of_query=1) it holds everything, past holdMax in a temporary file, so
// even a large answer starts only once the statement has succeeded. Every write to the client
// must finish within sendTimeout: a client that stops reading is dropped, and its statement
// killed, instead of holding a slot.
type answer struct {
	w           http.ResponseWriter
	rc          *http.ResponseController
	sendTimeout time.Duration
	holdMax     int
	spill       bool
	commit      func() // sets the headers, once, just before the first byte goes out

	buf       bytes.Buffer
	file      *os.File
	committed bool
}

func (a *answer) Write(p []byte) (int, error) {
	if a.committed {
		return a.send(p)
	}
	if a.file != nil {
		return a.file.Write(p)
	}
	if a.buf.Len()+len(p) <= a.holdMax {
		return a.buf.Write(p)
	}
	if a.spill {
		f, err := os.CreateTemp("", "dwm-serve-answer-")
		if err != nil {
			return 0, err
		}
		_ = os.Remove(f.Name()) // unlinked: gone with the descriptor, whatever happens
		a.file = f
		return a.file.Write(p)
	}
	if err := a.start(); err != nil {
		return 0, err
	}
	return a.send(p)
}

// start commits the headers and sends what was held.
func (a *answer) start() error {
	a.committed = true
	a.commit()
	if a.buf.Len() > 0 {
		if _, err := a.send(a.buf.Bytes()); err != nil {
			return err
		}
		a.buf.Reset()
	}
	return nil
}

func (a *answer) send(p []byte) (int, error) {
	_ = a.rc.SetWriteDeadline(time.Now().Add(a.sendTimeout))
	return a.w.Write(p)
}

// finish sends a held answer whole, with its length. commit has run by the time it returns.
func (a *answer) finish() error {
	defer a.discard()
	if a.committed {
		return nil
	}
	n := int64(a.buf.Len())
	if a.file != nil {
		st, err := a.file.Stat()
		if err != nil {
			return err
		}
		n += st.Size()
		if _, err := a.file.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	a.w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	if err := a.start(); err != nil {
		return err
	}
	if a.file != nil {
		buf := make([]byte, 256<<10)
		for {
			k, err := a.file.Read(buf)
			if k > 0 {
				if _, werr := a.send(buf[:k]); werr != nil {
					return werr
				}
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// discard drops anything held, for an answer replaced by an error.
func (a *answer) discard() {
	a.buf.Reset()
	if a.file != nil {
		_ = a.file.Close()
		a.file = nil
	}
}

// encoding is how an answer is compressed.
type encoding struct {
	contentEncoding string // Content-Encoding sent, "" for none
	blocks          bool   // ClickHouse's compressed blocks (compress=1)
	method          chcompress.Method
	level           int
}

// responseEncoding chooses the answer's compression: ClickHouse's blocks when the client asked
// with compress=1 (method from network_compression_method), else the first of zstd, br, lz4,
// gzip, deflate the client accepts, in ClickHouse's order of preference, unless
// enable_http_compression=0. The engine's enable_http_compression defaults to 1, and dwm serve
// follows what system.settings reports to clients.
func responseEncoding(params map[string][]string, accept string) (encoding, error) {
	if get(params, "compress") == "1" {
		e := encoding{blocks: true, method: chcompress.LZ4}
		switch strings.ToUpper(get(params, "network_compression_method")) {
		case "", "LZ4", "LZ4HC":
		case "ZSTD":
			e.method = chcompress.ZSTD
		case "NONE":
			e.method = chcompress.None
		default:
			return e, errors.New("network_compression_method must be LZ4, ZSTD or NONE")
		}
		return e, nil
	}
	if get(params, "enable_http_compression") == "0" || accept == "" {
		return encoding{}, nil
	}
	level := 3
	if v, err := strconv.Atoi(get(params, "http_zlib_compression_level")); err == nil && v >= 1 && v <= 9 {
		level = v
	}
	acc := strings.ToLower(accept)
	for _, m := range []string{"zstd", "br", "lz4", "gzip", "deflate"} {
		if acceptsEncoding(acc, m) {
			return encoding{contentEncoding: m, level: level}, nil
		}
	}
	return encoding{}, nil
}

// acceptsEncoding reports whether an Accept-Encoding list admits m (listed, without q=0).
func acceptsEncoding(accept, m string) bool {
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(part, ";")
		if strings.TrimSpace(name) != m {
			continue
		}
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			q, _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
		return q > 0
	}
	return false
}

// encoder wraps w in the encoding; the returned func flushes and ends the encoded stream.
func (e encoding) encoder(w io.Writer) (io.Writer, func() error, error) {
	switch {
	case e.blocks:
		b := &blockWriter{w: w, c: chcompress.NewWriter(chcompress.LevelZero, e.method)}
		return b, b.Close, nil
	case e.contentEncoding == "gzip":
		z, err := gzip.NewWriterLevel(w, e.level)
		return z, z.Close, err
	case e.contentEncoding == "deflate":
		z, err := zlib.NewWriterLevel(w, e.level)
		return z, z.Close, err
	case e.contentEncoding == "br":
		z := brotli.NewWriterLevel(w, brotli.DefaultCompression)
		return z, z.Close, nil
	case e.contentEncoding == "zstd":
		z, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, nil, err
		}
		return z, z.Close, nil
	case e.contentEncoding == "lz4":
		z := lz4.NewWriter(w)
		return z, z.Close, nil
	}
	return w, func() error { return nil }, nil
}

// blockSize is how much data one ClickHouse compressed block holds, as the server's buffer.
const blockSize = 1 << 20

// blockWriter writes ClickHouse's compressed blocks (checksum, method, sizes, data).
type blockWriter struct {
	w   io.Writer
	c   *chcompress.Writer
	buf []byte
}

func (b *blockWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := blockSize - len(b.buf)
		if k > len(p) {
			k = len(p)
		}
		b.buf = append(b.buf, p[:k]...)
		p = p[k:]
		if len(b.buf) == blockSize {
			if err := b.flush(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (b *blockWriter) flush() error {
	if len(b.buf) == 0 {
		return nil
	}
	if err := b.c.Compress(b.buf); err != nil {
		return err
	}
	b.buf = b.buf[:0]
	_, err := b.w.Write(b.c.Data)
	return err
}

// Close writes the last, partial block.
func (b *blockWriter) Close() error { return b.flush() }
