package nativefmt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

// enc builds Native bytes by hand, the way ClickHouse's NativeWriter lays them out.
type enc struct{ b []byte }

func (e *enc) uv(v uint64) *enc   { e.b = binary.AppendUvarint(e.b, v); return e }
func (e *enc) u64(v uint64) *enc  { e.b = binary.LittleEndian.AppendUint64(e.b, v); return e }
func (e *enc) raw(b ...byte) *enc { e.b = append(e.b, b...); return e }
func (e *enc) str(s string) *enc  { e.uv(uint64(len(s))); e.b = append(e.b, s...); return e }

// column appends a column header and data; custom is whether to add the serialization byte.
func (e *enc) column(name, typ string, custom bool, data []byte) *enc {
	e.str(name).str(typ)
	if custom {
		e.raw(0)
	}
	return e.raw(data...)
}

// sampleColumns are three rows of many types, in the file layout.
func sampleColumns() []struct {
	name, typ string
	data      []byte
} {
	str := func(ss ...string) []byte {
		e := &enc{}
		for _, s := range ss {
			e.str(s)
		}
		return e.b
	}
	lc := (&enc{}).u64(1). // key version
				u64(1<<9).u64(2).str("x").str("y"). // flags (UInt8 keys, additional keys), dictionary
				u64(3).raw(0, 1, 0).b               // keys
	arr := (&enc{}).u64(1).u64(1).u64(3).raw(1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0).b
	mp := (&enc{}).u64(1).u64(2).u64(2).b // offsets: two entries in all
	mp = append(mp, str("k", "l")...)
	mp = append(mp, 7, 8)
	return []struct {
		name, typ string
		data      []byte
	}{
		{"u8", "UInt8", []byte{1, 2, 3}},
		{"s", "String", str("a", "", "ccc")},
		{"ns", "Nullable(String)", append([]byte{0, 1, 0}, str("p", "", "r")...)},
		{"a", "Array(UInt32)", arr},
		{"lc", "LowCardinality(String)", lc},
		{"m", "Map(String, UInt8)", mp},
		{"t", "Tuple(a UInt8, b String)", append([]byte{4, 5, 6}, str("d", "e", "f")...)},
		{"fs", "FixedString(2)", []byte("aabbcc")},
		{"d", "Decimal(18, 4)", make([]byte, 24)},
		{"dt", "DateTime64(3, 'UTC')", make([]byte, 24)},
		{"pt", "Point", make([]byte, 48)},
	}
}

func sampleBlock(revision uint64) []byte {
	e := &enc{}
	if revision > 0 {
		e.raw(1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0)
	}
	cols := sampleColumns()
	e.uv(uint64(len(cols))).uv(3)
	for _, c := range cols {
		e.column(c.name, c.typ, revision >= RevisionCustomSerialization, c.data)
	}
	return e.b
}

func TestTranscodeBetweenRevisions(t *testing.T) {
	file := sampleBlock(0)
	wire := sampleBlock(54460)
	old := sampleBlock(54453) // block info but no serialization byte
	cases := []struct {
		from, to uint64
		in, want []byte
	}{
		{0, 54460, file, wire},
		{54460, 0, wire, file},
		{0, 54453, file, old},
		{54453, 54460, old, wire},
		{0, 0, file, file},
	}
	for _, c := range cases {
		// Two blocks back to back: the second must start where the first ended.
		src := bytes.NewReader(append(append([]byte{}, c.in...), c.in...))
		tr := Transcoder{From: c.from, To: c.to}
		var out []byte
		for i := 0; i < 2; i++ {
			var b Block
			var err error
			out, b, err = tr.Block(out, src)
			if err != nil {
				t.Fatalf("%d->%d block %d: %v", c.from, c.to, i, err)
			}
			if b.Rows != 3 || len(b.Columns) != len(sampleColumns()) || b.Columns[4] != (Column{"lc", "LowCardinality(String)"}) {
				t.Errorf("%d->%d: block %+v", c.from, c.to, b)
			}
		}
		if _, _, err := tr.Block(nil, src); err != io.EOF {
			t.Errorf("%d->%d: after the last block got %v, want io.EOF", c.from, c.to, err)
		}
		if want := append(append([]byte{}, c.want...), c.want...); !bytes.Equal(out, want) {
			t.Errorf("%d->%d:\n got %x\nwant %x", c.from, c.to, out, want)
		}
	}
}

// maxWrite records the largest single write.
type maxWrite struct {
	bytes.Buffer
	max int
}

func (m *maxWrite) Write(p []byte) (int, error) {
	m.max = max(m.max, len(p))
	return m.Buffer.Write(p)
}

// TestCopyStreams: Copy writes what Block would, block after block, and passes a block larger
// than its step through in pieces instead of holding it whole.
func TestCopyStreams(t *testing.T) {
	e := &enc{}
	e.uv(1).uv(3).str("s").str("String")
	for i := 0; i < 3; i++ {
		e.str(strings.Repeat("x", 60_000))
	}
	big := e.b
	in := append(append(append([]byte{}, sampleBlock(0)...), big...), sampleBlock(0)...)
	var want []byte
	src := bytes.NewReader(in)
	for {
		var err error
		want, _, err = Transcoder{To: 54460}.Block(want, src)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	var got maxWrite
	if err := (Transcoder{To: 54460}).Copy(&got, bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) || got.max >= len(big) || got.max > 2*copyStep {
		t.Errorf("%d bytes (want %d), largest write %d for a block of %d", got.Len(), len(want), got.max, len(big))
	}
	// A block cut short is an error, not the end of the input.
	if err := (Transcoder{To: 54460}).Copy(io.Discard, bytes.NewReader(in[:len(in)-3])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated input: %v", err)
	}
}

// TestEmptyBlockHasNoData: ClickHouse writes no column data, not even LowCardinality's state
// prefix, for a block of zero rows; reading one must not swallow the next block's bytes.
func TestEmptyBlockHasNoData(t *testing.T) {
	cols := []Column{{"lc", "LowCardinality(String)"}, {"a", "Array(Nullable(UInt8))"}}
	for _, rev := range []uint64{0, 54460} {
		in := AppendHeader(nil, rev, cols)
		in = append(in, sampleBlock(rev)...)
		src := bytes.NewReader(in)
		_, b, err := Transcoder{From: rev, To: rev}.Block(nil, src)
		if err != nil || b.Rows != 0 || !reflect.DeepEqual(b.Columns, cols) {
			t.Fatalf("rev %d: header = %+v, %v", rev, b, err)
		}
		if _, b, err = (Transcoder{From: rev, To: rev}).Block(nil, src); err != nil || b.Rows != 3 {
			t.Errorf("rev %d: next block = %+v, %v", rev, b, err)
		}
	}
}

func TestMalformedBlocks(t *testing.T) {
	wire := sampleBlock(54460)
	// Every truncation fails cleanly; none panics or reads past the input.
	for n := 1; n < len(wire); n++ {
		_, _, err := Transcoder{From: 54460}.Block(nil, bytes.NewReader(wire[:n]))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("truncated at %d: got %v", n, err)
		}
	}
	bad := []struct {
		name string
		in   []byte
		want string
	}{
		{"unsupported type", (&enc{}).uv(1).uv(1).column("j", "JSON", false, []byte{1}).b, "unsupported column type"},
		{"sparse", (&enc{}).raw(0).uv(1).uv(1).str("x").str("UInt8").raw(1, 5).b, "custom (sparse)"},
		{"too many rows", (&enc{}).uv(1).uv(MaxRows + 1).b, "exceeds the limits"},
		{"huge name", (&enc{}).uv(1).uv(1).uv(1 << 40).b, "exceeds"},
		{"decreasing offsets", (&enc{}).uv(1).uv(2).column("a", "Array(UInt8)", false, (&enc{}).u64(2).u64(1).raw(1, 2).b).b, "decrease"},
		{"lc flags", (&enc{}).uv(1).uv(1).column("l", "LowCardinality(String)", false, (&enc{}).u64(1).u64(1<<8).b).b, "not supported"},
		{"overflowing width", (&enc{}).uv(1).uv(1).column("a", "Array(UInt64)", false, (&enc{}).u64(1<<62).b).b, "too large"},
	}
	for _, c := range bad {
		from := uint64(0)
		if c.name == "sparse" {
			from = 54460
		}
		_, _, err := Transcoder{From: from}.Block(nil, bytes.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

// TestGrowBoundsMemory: a string that only claims a huge length costs memory as its bytes
// arrive, and Grow's refusal stops the block.
func TestGrowBoundsMemory(t *testing.T) {
	in := (&enc{}).uv(1).uv(1).str("s").str("String").uv(1 << 40).b
	in = append(in, make([]byte, 100_000)...)
	grown := 0
	_, _, err := Transcoder{Grow: func(n int) error { grown += n; return nil }}.Block(nil, bytes.NewReader(in))
	if !errors.Is(err, io.ErrUnexpectedEOF) || grown > len(in)+copyStep {
		t.Errorf("grown %d for %d input bytes, err %v", grown, len(in), err)
	}
	limit := errors.New("over budget")
	_, _, err = Transcoder{Grow: func(n int) error {
		if grown += n; grown > 50_000 {
			return limit
		}
		return nil
	}}.Block(nil, bytes.NewReader(in))
	if !errors.Is(err, limit) {
		t.Errorf("err = %v, want the Grow error", err)
	}
}

func FuzzTranscode(f *testing.F) {
	f.Add(sampleBlock(0), uint64(0))
	f.Add(sampleBlock(54460), uint64(54460))
	f.Fuzz(func(t *testing.T, in []byte, from uint64) {
		src := bytes.NewReader(in)
		out, b, err := Transcoder{From: from, To: 54460}.Block(nil, src)
		if err != nil {
			return
		}
		back, b2, err := Transcoder{From: 54460, To: from}.Block(nil, bytes.NewReader(out))
		if err != nil || !reflect.DeepEqual(b.Columns, b2.Columns) || b.Rows != b2.Rows {
			t.Fatalf("round trip: %v", err)
		}
		// The file layout has no block info to normalise, so its round trip is byte for byte.
		if consumed := in[:len(in)-src.Len()]; from == 0 && !bytes.Equal(back, consumed) {
			t.Fatalf("round trip changed the block:\n in %x\nout %x", consumed, back)
		}
	})
}
