package tcp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	chcompress "github.com/ClickHouse/ch-go/compress"
)

func sample() []byte {
	return bytes.Repeat([]byte("dwm native protocol, compressible text; "), 60000) // ~2.4 MB: three frames
}

// TestFramesInteroperate: our frames decode with ch-go's reader (the one clickhouse-go uses), and
// frames written by ch-go's writer (what clickhouse-go sends) decode with ours.
func TestFramesInteroperate(t *testing.T) {
	data := sample()
	for _, m := range []chcompress.Method{chcompress.LZ4, chcompress.ZSTD, chcompress.None} {
		var w frameWriter
		frames, err := w.appendFrames(nil, data, m)
		if err != nil {
			t.Fatal(err)
		}
		wantMethod := map[chcompress.Method]byte{chcompress.LZ4: methodLZ4, chcompress.ZSTD: methodZSTD, chcompress.None: methodNone}[m]
		if frames[frameChecksum] != wantMethod {
			t.Errorf("%v: method byte %#x", m, frames[frameChecksum])
		}
		if m != chcompress.None && len(frames) > len(data)/10 {
			t.Errorf("%v: %d bytes compressed to %d", m, len(data), len(frames))
		}
		got, err := io.ReadAll(io.LimitReader(chcompress.NewReader(bytes.NewReader(frames)), int64(len(data))))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%v: ch-go reads our frames: %v", m, err)
		}

		var theirs []byte
		cw := chcompress.NewWriter(chcompress.LevelZero, m)
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1<<20)
			if err := cw.Compress(rest[:n]); err != nil {
				t.Fatal(err)
			}
			theirs = append(theirs, cw.Data...)
			rest = rest[n:]
		}
		a := &account{b: &budget{max: 1 << 30}}
		fr := &frameReader{src: bufio.NewReader(bytes.NewReader(theirs)), max: 4 << 20, acct: a}
		got, err = io.ReadAll(io.LimitReader(fr, int64(len(data))))
		if err != nil || !bytes.Equal(got, data) || !fr.drained() {
			t.Errorf("%v: we read ch-go's frames: %v", m, err)
		}
		fr.close()
		if a.held != 0 || a.b.inUse() != 0 {
			t.Errorf("%v: %d bytes still charged after close", m, a.b.inUse())
		}
	}
}

func TestFrameErrors(t *testing.T) {
	var w frameWriter
	good, _ := w.appendFrames(nil, []byte("hello, frames"), chcompress.LZ4)
	read := func(in []byte, max int) (*account, error) {
		a := &account{b: &budget{max: 1 << 30}}
		fr := &frameReader{src: bufio.NewReader(bytes.NewReader(in)), max: max, acct: a}
		_, err := io.ReadAll(io.LimitReader(fr, 13))
		return a, err
	}
	corrupt := append([]byte{}, good...)
	corrupt[len(corrupt)-1] ^= 0xff
	if _, err := read(corrupt, 1<<20); !errors.As(err, new(*checksumError)) {
		t.Errorf("corrupted frame: %v", err)
	}
	// A frame that claims 1 GiB is refused from its header, before anything is allocated for it.
	huge := append([]byte{}, good[:frameChecksum+frameHeader]...)
	huge[frameChecksum+1], huge[frameChecksum+2], huge[frameChecksum+3], huge[frameChecksum+4] = 0, 0, 0, 0x40
	a, err := read(huge, 1<<20)
	if !errors.Is(err, errProtocol) || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Errorf("huge frame: %v", err)
	}
	if a.held > 64<<10 {
		t.Errorf("huge frame charged %d bytes", a.held)
	}
	// A frame cut short fails instead of waiting for bytes that never come.
	if _, err := read(good[:len(good)-3], 1<<20); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short frame: %v", err)
	}
	unknown := append([]byte{}, good...)
	unknown[frameChecksum] = 0x77
	if _, err := read(unknown, 1<<20); err == nil {
		t.Error("unknown method: no error")
	}
	// The budget refuses what would take the server over its limit.
	small := &account{b: &budget{max: 20}}
	fr := &frameReader{src: bufio.NewReader(bytes.NewReader(good)), max: 1 << 20, acct: small}
	if _, err := io.ReadAll(fr); err == nil || !strings.Contains(err.Error(), "MEMORY_LIMIT") && !strings.Contains(err.Error(), "at most 20 bytes") {
		t.Errorf("over budget: %v", err)
	}
}
