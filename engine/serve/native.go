package serve

import (
	"encoding/binary"
	"errors"
	"fmt"
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
// always asks for the latter and decodes nothing else. Column data is copied unchanged; it has
// to be measured only to find where the next column starts, which needs the type's layout.
func reencodeNative(in []byte, revision uint64) ([]byte, error) {
	if revision == 0 {
		return in, nil
	}
	out := make([]byte, 0, len(in)+len(in)/64+64)
	r := &reader{b: in}
	for r.off < len(in) {
		// Block info: field 1 is_overflows=false, field 2 bucket_num=-1, field 0 ends it.
		out = append(out, 1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0)
		start := r.off
		cols, rows := r.uvarint(), r.uvarint()
		out = append(out, in[start:r.off]...)
		for c := uint64(0); c < cols && r.err == nil; c++ {
			start = r.off
			r.str()
			typ := r.str()
			out = append(out, in[start:r.off]...)
			if revision >= minRevisionCustomSerialization {
				out = append(out, 0)
			}
			start = r.off
			if r.err != nil {
				break
			}
			t, err := parseType(typ)
			if err != nil {
				return nil, err
			}
			if err := skipColumn(r, t, rows); err != nil {
				return nil, err
			}
			out = append(out, in[start:r.off]...)
		}
		if r.err != nil {
			return nil, fmt.Errorf("native block at byte %d: %w", start, r.err)
		}
	}
	return out, nil
}

// reader walks a byte slice; the first error sticks so callers check once.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) skip(n uint64) {
	if r.err != nil {
		return
	}
	if n > uint64(len(r.b)-r.off) {
		r.err = fmt.Errorf("truncated: need %d bytes at %d of %d", n, r.off, len(r.b))
		return
	}
	r.off += int(n)
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.err = fmt.Errorf("bad varint at %d", r.off)
		return 0
	}
	r.off += n
	return v
}

func (r *reader) uint64() uint64 {
	start := r.off
	r.skip(8)
	if r.err != nil {
		return 0
	}
	return binary.LittleEndian.Uint64(r.b[start:])
}

func (r *reader) str() string {
	n := r.uvarint()
	start := r.off
	r.skip(n)
	if r.err != nil {
		return ""
	}
	return string(r.b[start:r.off])
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
