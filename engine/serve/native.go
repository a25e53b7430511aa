package serve

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// minRevisionCustomSerialization is DBMS_MIN_REVISION_WITH_CUSTOM_SERIALIZATION: from this client
// protocol version on, every column header carries a "has custom serialization" byte.
const minRevisionCustomSerialization = 54454

// errUnsupportedType marks a column type reencodeNative cannot measure.
var errUnsupportedType = errors.New("unsupported column type")

// reencodeNative rewrites the Native format libchdb writes (protocol revision 0, as for a
// FORMAT Native file) into the layout a ClickHouse server writes over HTTP for a client that
// sent client_protocol_version=revision: a block-info header before each block and, for
// revision >= 54454, a zero "custom serialization" byte after each column's type. clickhouse-go
// always asks for the latter and decodes nothing else. It streams: column data is copied from
// in to out unchanged as it is measured, which needs the type's layout but never a whole block
// in memory.
func reencodeNative(in io.Reader, out io.Writer, revision uint64) error {
	bw := bufio.NewWriterSize(out, 64<<10)
	r := &reader{r: bufio.NewReaderSize(in, 64<<10), w: bw}
	for {
		if _, err := r.r.Peek(1); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		if revision > 0 {
			// Block info: field 1 is_overflows=false, field 2 bucket_num=-1, field 0 ends it.
			r.emit(1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0)
		}
		start := r.n
		cols, rows := r.uvarint(), r.uvarint()
		for c := uint64(0); c < cols && r.err == nil; c++ {
			r.str()
			typ := r.str()
			if revision >= minRevisionCustomSerialization {
				r.emit(0)
			}
			if r.err != nil {
				break
			}
			t, err := parseType(typ)
			if err != nil {
				return err
			}
			if err := skipColumn(r, t, rows); err != nil {
				return err
			}
		}
		if r.err != nil {
			return fmt.Errorf("native block at byte %d: %w", start, r.err)
		}
	}
	return bw.Flush()
}

// reader walks a Native stream, copying every byte it reads to w; the first error sticks so
// callers check once.
type reader struct {
	r   *bufio.Reader
	w   *bufio.Writer
	n   int64 // bytes read so far
	err error
}

// emit writes bytes that are not in the input.
func (r *reader) emit(b ...byte) {
	if r.err == nil {
		_, r.err = r.w.Write(b)
	}
}

// skip copies n bytes through, straight from the read buffer.
func (r *reader) skip(n uint64) {
	for n > 0 && r.err == nil {
		if r.r.Buffered() == 0 {
			if _, err := r.r.Peek(1); err != nil {
				r.err = fmt.Errorf("truncated: need %d more bytes at %d", n, r.n)
				return
			}
		}
		k := r.r.Buffered()
		if uint64(k) > n {
			k = int(n)
		}
		b, _ := r.r.Peek(k)
		_, r.err = r.w.Write(b)
		_, _ = r.r.Discard(k)
		r.n += int64(k)
		n -= uint64(k)
	}
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	var v uint64
	for shift := uint(0); ; shift += 7 {
		b, err := r.r.ReadByte()
		if err != nil || shift > 63 {
			r.err = fmt.Errorf("bad varint at %d", r.n)
			return 0
		}
		r.n++
		r.emit(b)
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v
		}
	}
}

func (r *reader) uint64() uint64 {
	if r.err != nil {
		return 0
	}
	var b [8]byte
	if _, err := io.ReadFull(r.r, b[:]); err != nil {
		r.err = fmt.Errorf("truncated: need 8 bytes at %d", r.n)
		return 0
	}
	r.n += 8
	r.emit(b[:]...)
	return binary.LittleEndian.Uint64(b[:])
}

// str reads a length-prefixed string; only type names are ever kept, so it is bounded.
func (r *reader) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > 1<<20 {
		r.err = fmt.Errorf("column name or type of %d bytes at %d", n, r.n)
		return ""
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.r, b); err != nil {
		r.err = fmt.Errorf("truncated: need %d bytes at %d", n, r.n)
		return ""
	}
	r.n += int64(n)
	r.emit(b...)
	return string(b)
}

// colType is a parsed ClickHouse type: a name and its arguments (types or literals).
type colType struct {
	name string
	args []string
}

func parseType(s string) (colType, error) {
	s = strings.TrimSpace(s)
	open := strings.IndexByte(s, '(')
	if open < 0 {
		return colType{name: s}, nil
	}
	if !strings.HasSuffix(s, ")") {
		return colType{}, fmt.Errorf("%w: cannot parse %q", errUnsupportedType, s)
	}
	return colType{name: s[:open], args: splitArgs(s[open+1 : len(s)-1])}, nil
}

// splitArgs splits on commas outside parentheses and quotes.
func splitArgs(s string) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == '\\' {
				i++
			} else if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '`' || ch == '"':
			quote = ch
		case ch == '(':
			depth++
		case ch == ')':
			depth--
		case ch == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// fixedWidth is the bytes per value of types stored as a flat array.
var fixedWidth = map[string]uint64{
	"UInt8": 1, "Int8": 1, "Bool": 1, "Enum8": 1, "Nothing": 1,
	"UInt16": 2, "Int16": 2, "Date": 2, "Enum16": 2, "BFloat16": 2,
	"UInt32": 4, "Int32": 4, "Float32": 4, "Date32": 4, "DateTime": 4, "IPv4": 4, "Decimal32": 4, "Time": 4,
	"UInt64": 8, "Int64": 8, "Float64": 8, "DateTime64": 8, "Decimal64": 8, "Time64": 8,
	"UInt128": 16, "Int128": 16, "UUID": 16, "IPv6": 16, "Decimal128": 16,
	"UInt256": 32, "Int256": 32, "Decimal256": 32,
	"IntervalNanosecond": 8, "IntervalMicrosecond": 8, "IntervalMillisecond": 8, "IntervalSecond": 8,
	"IntervalMinute": 8, "IntervalHour": 8, "IntervalDay": 8, "IntervalWeek": 8, "IntervalMonth": 8,
	"IntervalQuarter": 8, "IntervalYear": 8,
}

// geoAliases are the geo types, which Native stores as the type they name.
var geoAliases = map[string]string{
	"Point": "Tuple(Float64, Float64)", "Ring": "Array(Point)", "LineString": "Array(Point)",
	"MultiLineString": "Array(Ring)", "Polygon": "Array(Ring)", "MultiPolygon": "Array(Polygon)",
}

// skipColumn moves r past one column of rows values: every state prefix first (Native writes
// them all before any data), then the data.
func skipColumn(r *reader, t colType, rows uint64) error {
	if err := skipPrefix(r, t); err != nil {
		return err
	}
	return skipData(r, t, rows)
}

func skipPrefix(r *reader, t colType) error {
	switch t.name {
	case "LowCardinality":
		r.skip(8) // key serialization version
		return r.err
	case "Array", "Nullable", "Tuple", "Map", "SimpleAggregateFunction":
		for _, a := range elementTypes(t) {
			e, err := parseType(a)
			if err != nil {
				return err
			}
			if err := skipPrefix(r, e); err != nil {
				return err
			}
		}
	}
	if alias, ok := geoAliases[t.name]; ok {
		e, _ := parseType(alias)
		return skipPrefix(r, e)
	}
	return r.err
}

// elementTypes lists the nested types whose data a composite column holds.
func elementTypes(t colType) []string {
	switch t.name {
	case "Tuple":
		out := make([]string, len(t.args))
		for i, a := range t.args {
			out[i] = stripElementName(a)
		}
		return out
	case "SimpleAggregateFunction":
		if len(t.args) == 2 {
			return t.args[1:]
		}
		return nil
	}
	return t.args
}

// stripElementName drops the name of a named tuple element ("a UInt8" -> "UInt8").
func stripElementName(a string) string {
	paren := strings.IndexByte(a, '(')
	sp := strings.IndexByte(a, ' ')
	if sp > 0 && (paren < 0 || sp < paren) {
		return strings.TrimSpace(a[sp+1:])
	}
	return a
}

func skipData(r *reader, t colType, rows uint64) error {
	if w, ok := fixedWidth[t.name]; ok {
		r.skip(w * rows)
		return r.err
	}
	if alias, ok := geoAliases[t.name]; ok {
		e, _ := parseType(alias)
		return skipData(r, e, rows)
	}
	switch t.name {
	case "String":
		for i := uint64(0); i < rows && r.err == nil; i++ {
			r.skip(r.uvarint())
		}
		return r.err
	case "FixedString":
		if len(t.args) != 1 {
			break
		}
		n, err := strconv.ParseUint(t.args[0], 10, 64)
		if err != nil {
			break
		}
		r.skip(n * rows)
		return r.err
	case "Decimal":
		if len(t.args) < 1 {
			break
		}
		p, err := strconv.Atoi(t.args[0])
		if err != nil {
			break
		}
		w := uint64(32)
		switch {
		case p <= 9:
			w = 4
		case p <= 18:
			w = 8
		case p <= 38:
			w = 16
		}
		r.skip(w * rows)
		return r.err
	case "Nullable", "SimpleAggregateFunction":
		if t.name == "Nullable" {
			r.skip(rows) // null map
		}
		if e := elementTypes(t); len(e) == 1 {
			return skipNested(r, e[0], rows)
		}
	case "Array", "Map":
		total := uint64(0)
		for i := uint64(0); i < rows && r.err == nil; i++ {
			total = r.uint64() // offsets are cumulative; the last one is the element count
		}
		if t.name == "Array" && len(t.args) == 1 {
			return skipNested(r, t.args[0], total)
		}
		if t.name == "Map" && len(t.args) == 2 {
			if err := skipNested(r, t.args[0], total); err != nil {
				return err
			}
			return skipNested(r, t.args[1], total)
		}
	case "Tuple":
		for _, e := range elementTypes(t) {
			if err := skipNested(r, e, rows); err != nil {
				return err
			}
		}
		return r.err
	case "LowCardinality":
		return skipLowCardinality(r, t, rows)
	}
	return fmt.Errorf("%w %s", errUnsupportedType, t.name)
}

func skipNested(r *reader, typ string, rows uint64) error {
	e, err := parseType(typ)
	if err != nil {
		return err
	}
	return skipData(r, e, rows)
}

// skipLowCardinality skips one granule: flags, an optional dictionary of the inner type without
// Nullable, then the keys. Native writes one granule per block.
func skipLowCardinality(r *reader, t colType, rows uint64) error {
	if rows == 0 || len(t.args) != 1 {
		return r.err
	}
	flags := r.uint64()
	const hasAdditionalKeys = 1 << 9
	if flags&hasAdditionalKeys != 0 {
		dictType := t.args[0]
		if inner, err := parseType(dictType); err == nil && inner.name == "Nullable" && len(inner.args) == 1 {
			dictType = inner.args[0]
		}
		if err := skipNested(r, dictType, r.uint64()); err != nil {
			return err
		}
	}
	n := r.uint64()
	r.skip(n * (1 << (flags & 0xff))) // key width: 0=UInt8, 1=UInt16, 2=UInt32, 3=UInt64
	return r.err
}
