package nativefmt

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnsupportedType marks a column type whose Native layout this package cannot measure.
var ErrUnsupportedType = errors.New("unsupported column type")

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
		return colType{}, fmt.Errorf("%w: cannot parse %q", ErrUnsupportedType, s)
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

// aliases are types Native stores as another type: the geo types, and Nested, which is an
// array of tuples when a client sends it unflattened.
func alias(t colType) (string, bool) {
	switch t.name {
	case "Point":
		return "Tuple(Float64, Float64)", true
	case "Ring", "LineString":
		return "Array(Point)", true
	case "MultiLineString", "Polygon":
		return "Array(Ring)", true
	case "MultiPolygon":
		return "Array(Polygon)", true
	case "Nested":
		return "Array(Tuple(" + strings.Join(t.args, ", ") + "))", true
	}
	return "", false
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

// decimalWidth is the storage width of Decimal(P, S).
func decimalWidth(precision int) uint64 {
	switch {
	case precision <= 9:
		return 4
	case precision <= 18:
		return 8
	case precision <= 38:
		return 16
	}
	return 32
}
