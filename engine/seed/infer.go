package seed

import "strconv"

// candidate types a column can still have; each value clears the ones it rules out.
const (
	candInt64 uint8 = 1 << iota
	candUInt64
	candFloat64
	candBool
	candDate
	candDateTime
	candDateTime64
	candDate32
	candAll = candInt64 | candUInt64 | candFloat64 | candBool | candDate | candDateTime | candDateTime64 | candDate32
)

// inferrer narrows one column's type as values stream by. Inference picks, in order: Int64 when
// every value is an integer that fits (the common case, and signed arithmetic is what SQL users
// expect); UInt64 only when some value is too large for Int64 and none is negative; Float64 for
// any other decimal numbers; Bool for true/false (any case); Date, or Date32 when a date is outside 1970-2149; DateTime; DateTime64(p) when any value
// has a fraction (p is the longest fraction, at least 3); else String. Integers too large for both Int64 and UInt64 become Float64, which is lossy but
// rare in seeds; set column_types to keep them exact. Empty values (and \N,
// which ClickHouse's CSV reader treats as NULL) make the column Nullable.
type inferrer struct {
	cand     uint8
	frac     int
	nullable bool
	seen     bool // a non-null value was seen
}

func newInferrer() inferrer { return inferrer{cand: candAll} }

// isNull reports whether a CSV value loads as NULL into a Nullable column.
func isNull(v string) bool { return v == "" || v == `\N` }

func (in *inferrer) add(v string) {
	if isNull(v) {
		in.nullable = true
		return
	}
	in.seen = true
	c := in.cand
	if c == 0 {
		return // already String: nothing left to learn
	}
	if c&(candInt64|candUInt64|candFloat64) != 0 {
		if isInt(v) {
			if c&candInt64 != 0 && !fitsInt64(v) {
				c &^= candInt64
			}
			if c&candUInt64 != 0 && !fitsUint64(v) {
				c &^= candUInt64
			}
			if c&candFloat64 != 0 && !isFloat(v) {
				c &^= candFloat64
			}
		} else {
			c &^= candInt64 | candUInt64
			if c&candFloat64 != 0 && !isFloat(v) {
				c &^= candFloat64
			}
		}
	}
	if c&candBool != 0 && !isBool(v) {
		c &^= candBool
	}
	if c&(candDate|candDate32) != 0 {
		y := dateYear(v)
		if y < minDateYear || y > maxDateYear {
			c &^= candDate
		}
		if y < minDate32Year || y > maxDate32Year {
			c &^= candDate32
		}
	}
	if c&(candDateTime|candDateTime64) != 0 {
		y, frac := dateTime(v)
		if y < minDateTimeYear || y > maxDateTimeYear || frac > 0 {
			c &^= candDateTime
		}
		if y < minDateTime64Year || y > maxDateTime64Year {
			c &^= candDateTime64
		} else if frac > in.frac {
			in.frac = frac
		}
	}
	in.cand = c
}

// typ is the inferred ClickHouse type.
func (in *inferrer) typ() string {
	t := "String"
	switch c := in.cand; {
	case !in.seen:
		// Only empty values: nothing to infer from, and String holds anything later.
	case c&candInt64 != 0:
		t = "Int64"
	case c&candUInt64 != 0:
		t = "UInt64"
	case c&candFloat64 != 0:
		t = "Float64"
	case c&candBool != 0:
		t = "Bool"
	case c&candDate != 0:
		t = "Date"
	case c&candDate32 != 0:
		t = "Date32"
	case c&candDateTime != 0:
		t = "DateTime"
	case c&candDateTime64 != 0:
		t = "DateTime64(" + strconv.Itoa(max(in.frac, 3)) + ")"
	}
	if in.nullable {
		return "Nullable(" + t + ")"
	}
	return t
}
