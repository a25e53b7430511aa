package serve

import (
	"compress/gzip"
	"compress/zlib"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	chcompress "github.com/ClickHouse/ch-go/compress"
	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/dwmhq/dwm/engine/serve/core"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// errBodyTooLarge and errBodyTimeout are what a request body's reader fails with when a limit
// is crossed; fail turns them into ClickHouse's TOO_MANY_BYTES and SOCKET_TIMEOUT.
var (
	errBodyTooLarge = errors.New("request body too large")
	errBodyTimeout  = errors.New("request body stalled")
)

// decodeError is a request body that does not decode (corrupt gzip, a bad checksum in a
// ClickHouse compressed block, …).
type decodeError struct{ err error }

func (e *decodeError) Error() string { return "cannot decode request body: " + e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// decodeErrors tags a decoder's errors as decodeError, leaving EOF and the limits' own alone.
type decodeErrors struct{ r io.Reader }

func (d decodeErrors) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	switch {
	case err == nil || err == io.EOF || errors.Is(err, errBodyTooLarge) || errors.Is(err, errBodyTimeout):
		return n, err
	case errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
		return n, io.EOF // ch-go wraps a clean end between blocks ("header: EOF")
	}
	return n, &decodeError{err}
}

// limitedReader counts bytes and fails past max.
type limitedReader struct {
	r    io.Reader
	max  int64
	read int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.read += int64(n)
	if l.read > l.max {
		return n, errBodyTooLarge
	}
	return n, err
}

// deadlineReader sets a fresh read deadline on the connection before each read, and clears it
// at the end of the body: net/http watches the connection for a client that goes away while the
// answer streams, and a stale deadline would look like one.
type deadlineReader struct {
	r       io.Reader
	rc      *http.ResponseController
	timeout time.Duration
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	_ = d.rc.SetReadDeadline(time.Now().Add(d.timeout))
	n, err := d.r.Read(p)
	switch {
	case err == io.EOF:
		_ = d.rc.SetReadDeadline(time.Time{})
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		return n, errBodyTimeout
	}
	return n, err
}

// openBody decodes r's body: Content-Encoding first, then ClickHouse's compressed blocks when
// decompress=1. Its limits apply as it is read: at most maxBytes before and after each decoding
// (so a gzip bomb is refused as soon as it expands past the limit, and an endless stream of
// empty gzip members too), and each read must make progress within timeout (a stalled upload is
// refused rather than held open). The returned func releases the decoders.
func openBody(w http.ResponseWriter, r *http.Request, decompress bool, maxBytes int64, timeout time.Duration) (io.Reader, func(), error) {
	var src io.Reader = &deadlineReader{r: r.Body, rc: http.NewResponseController(w), timeout: timeout}
	src = &limitedReader{r: src, max: maxBytes}
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	dec, err := decoder(enc, src)
	if err != nil {
		var qe *warehouse.QueryError
		if errors.As(err, &qe) {
			return nil, nil, err
		}
		return nil, nil, &decodeError{err}
	}
	closeDec := func() {}
	if c, ok := dec.(io.Closer); ok {
		closeDec = func() { _ = c.Close() }
	}
	if dec != src {
		src = &limitedReader{r: decodeErrors{dec}, max: maxBytes}
	}
	if decompress {
		src = &limitedReader{r: decodeErrors{chcompress.NewReader(src)}, max: maxBytes}
	}
	return src, closeDec, nil
}

// decoder returns a reader decoding Content-Encoding enc, as ClickHouse accepts them.
func decoder(enc string, src io.Reader) (io.Reader, error) {
	switch enc {
	case "", "identity", "none":
		return src, nil
	case "gzip", "x-gzip":
		return gzip.NewReader(src)
	case "deflate":
		return zlib.NewReader(src)
	case "br":
		return brotli.NewReader(src), nil
	case "zstd":
		d, err := zstd.NewReader(src, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxMemory(256<<20))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	case "lz4":
		return lz4.NewReader(src), nil
	}
	return nil, core.Errorf(core.CodeUnknownCompressionMethod, "Unknown Content-Encoding %q: dwm serve reads gzip, deflate, br, zstd and lz4", enc)
}
