package serve_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"

	chcompress "github.com/ClickHouse/ch-go/compress"
	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/dwmhq/dwm/engine/serve"
	"github.com/dwmhq/dwm/engine/serve/core"
)

// encoders are the Content-Encodings dwm serve reads and writes, with Go's own codecs.
var encoders = map[string]struct {
	enc func(io.Writer) io.WriteCloser
	dec func(io.Reader) (io.Reader, error)
}{
	"gzip":    {func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) }, func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }},
	"deflate": {func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) }, func(r io.Reader) (io.Reader, error) { return zlib.NewReader(r) }},
	"br":      {func(w io.Writer) io.WriteCloser { return brotli.NewWriter(w) }, func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil }},
	"zstd": {func(w io.Writer) io.WriteCloser { z, _ := zstd.NewWriter(w); return z }, func(r io.Reader) (io.Reader, error) {
		z, err := zstd.NewReader(r)
		return z, err
	}},
	"lz4": {func(w io.Writer) io.WriteCloser { return lz4.NewWriter(w) }, func(r io.Reader) (io.Reader, error) { return lz4.NewReader(r), nil }},
}

func encode(t *testing.T, name, s string) *bytes.Buffer {
	var b bytes.Buffer
	w := encoders[name].enc(&b)
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return &b
}

func blocks(t *testing.T, m chcompress.Method, s string) *bytes.Buffer {
	w := chcompress.NewWriter(chcompress.LevelZero, m)
	if err := w.Compress([]byte(s)); err != nil {
		t.Fatal(err)
	}
	return bytes.NewBuffer(append([]byte(nil), w.Data...))
}

// TestCompressedBodies: each Content-Encoding, and ClickHouse's blocks (decompress=1), carry a
// statement and its data in; a corrupted block is refused with CHECKSUM_DOESNT_MATCH.
func TestCompressedBodies(t *testing.T) {
	e := start(t, core.Options{}, serve.Options{})
	in := url.Values{"database": {e.db}}
	ok(t, "create", e.post(t, in, strings.NewReader("CREATE TABLE t (enc String) ENGINE = MergeTree ORDER BY enc"), nil), "")
	for name := range encoders {
		ok(t, name, e.post(t, in, encode(t, name, "INSERT INTO t FORMAT TSV\n"+name+"\n"), map[string]string{"Content-Encoding": name}), "")
	}
	for _, m := range []chcompress.Method{chcompress.LZ4, chcompress.ZSTD, chcompress.None} {
		p := url.Values{"database": {e.db}, "decompress": {"1"}, "query": {"INSERT INTO t FORMAT TSV"}}
		ok(t, "blocks "+m.String(), e.post(t, p, blocks(t, m, "blocks-"+m.String()+"\n"), nil), "")
	}
	ok(t, "all arrived", e.get(t, "SELECT arrayStringConcat(groupArray(enc), ',') FROM (SELECT enc FROM t ORDER BY enc)", in),
		"blocks-LZ4,blocks-NONE,blocks-ZSTD,br,deflate,gzip,lz4,zstd\n")
	bad := blocks(t, chcompress.LZ4, "x\n").Bytes()
	bad[len(bad)-1] ^= 0xff
	refused(t, "corrupted block", e.post(t, url.Values{"database": {e.db}, "decompress": {"1"}, "query": {"INSERT INTO t FORMAT TSV"}}, bytes.NewReader(bad), nil), 500, "40")
	refused(t, "corrupt gzip", e.post(t, in, strings.NewReader("not gzip"), map[string]string{"Content-Encoding": "gzip"}), 500, "271")
	refused(t, "unknown encoding", e.post(t, in, strings.NewReader("SELECT 1"), map[string]string{"Content-Encoding": "rot13"}), 500, "89")
}

// TestCompressedAnswers: the answer is compressed in the first encoding the client accepts, in
// ClickHouse's order of preference, or in ClickHouse's blocks with compress=1.
func TestCompressedAnswers(t *testing.T) {
	e := start(t, core.Options{}, serve.Options{})
	const sql = "SELECT number FROM numbers(100000)"
	var want strings.Builder
	for i := 0; i < 100000; i++ {
		want.WriteString(strconv.Itoa(i) + "\n")
	}
	for _, c := range []struct{ accept, got string }{
		{"gzip", "gzip"}, {"deflate", "deflate"}, {"br", "br"}, {"zstd", "zstd"}, {"lz4", "lz4"},
		{"gzip, deflate, br, zstd", "zstd"}, {"lz4, gzip", "lz4"}, {"gzip;q=0, deflate", "deflate"},
	} {
		req := mustReq("POST", e.base+"/?"+url.Values{"query": {sql}}.Encode())
		req.SetBasicAuth("default", password)
		req.Header.Set("Accept-Encoding", c.accept) // set by hand, so Go's client does not decode
		r := do(t, req)
		if got := r.header.Get("Content-Encoding"); got != c.got {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", c.accept, got, c.got)
			continue
		}
		d, err := encoders[c.got].dec(strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(d); err != nil || string(b) != want.String() {
			t.Errorf("%s: decoded %d bytes, %v", c.got, len(b), err)
		}
	}
	req := mustReq("POST", e.base+"/?"+url.Values{"query": {sql}, "enable_http_compression": {"0"}}.Encode())
	req.SetBasicAuth("default", password)
	req.Header.Set("Accept-Encoding", "gzip")
	if r := do(t, req); r.header.Get("Content-Encoding") != "" || r.body != want.String() {
		t.Errorf("enable_http_compression=0: %q, %d bytes", r.header.Get("Content-Encoding"), len(r.body))
	}
	for _, m := range []string{"LZ4", "ZSTD"} {
		r := e.post(t, url.Values{"query": {sql}, "compress": {"1"}, "network_compression_method": {m}}, nil, nil)
		b, err := io.ReadAll(chcompress.NewReader(strings.NewReader(r.body)))
		if (err != nil && !strings.Contains(err.Error(), "EOF")) || string(b) != want.String() {
			t.Errorf("compress=1 %s: %d bytes, %v", m, len(b), err)
		}
	}
}
