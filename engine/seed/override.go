package seed

import (
	"fmt"
	"strconv"
	"strings"
)

// checker validates values against a type from column_types. Types it does not know are passed
// through unchecked and ClickHouse reports any bad value when loading.
type checker struct {
	typ      string
	nullable bool
	check    func(string) bool // nil: any text is accepted
	emptyOK  bool              // the base type holds "" (String, FixedString)
}

// newChecker understands Nullable(...) and LowCardinality(...) wrappers around the common
// scalar families.
func newChecker(typ string) checker {
	c := checker{typ: typ}
	base := strings.TrimSpace(typ)
	for {
		inner, ok := unwrap(base, "LowCardinality")
		if !ok {
			if inner, ok = unwrap(base, "Nullable"); ok {
				c.nullable = true
			}
		}
		if !ok {
			break
		}
		base = inner
	}
	family, args := base, ""
	if i := strings.IndexByte(base, '('); i > 0 && strings.HasSuffix(base, ")") {
		family, args = base[:i], base[i+1:len(base)-1]
	}
	switch family {
	case "Int8", "Int16", "Int32", "Int64":
		bits, _ := strconv.Atoi(family[3:])
		c.check = func(s string) bool { _, err := strconv.ParseInt(s, 10, bits); return err == nil }
	case "UInt8", "UInt16", "UInt32", "UInt64":
		bits, _ := strconv.Atoi(family[4:])
		c.check = func(s string) bool {
			_, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, bits)
			return err == nil
		}
	case "Int128", "Int256", "UInt128", "UInt256":
		c.check = func(s string) bool { return isInt(s) }
	case "Float32", "Float64":
		c.check = func(s string) bool {
			switch strings.ToLower(strings.TrimLeft(s, "+-")) {
			case "nan", "inf", "infinity":
				return true
			}
			return isFloat(s)
		}
	case "Decimal", "Decimal32", "Decimal64", "Decimal128", "Decimal256":
		c.check = isFloat
	case "Bool", "Boolean":
		c.check = func(s string) bool { return isBool(s) || s == "0" || s == "1" }
	case "Date", "Date32":
		c.check = func(s string) bool { return dateYear(s) >= 0 }
	case "DateTime", "DateTime64":
		c.check = func(s string) bool {
			y, _ := dateTime(s)
			return y >= 0 || dateYear(s) >= 0
		}
	case "String":
		c.emptyOK = true
	case "FixedString":
		n, err := strconv.Atoi(strings.TrimSpace(args))
		c.emptyOK = true
		if err == nil {
			c.check = func(s string) bool { return len(s) <= n }
		}
	case "UUID":
		c.check = isUUID
	}
	return c
}

func unwrap(s, wrapper string) (string, bool) {
	if strings.HasPrefix(s, wrapper+"(") && strings.HasSuffix(s, ")") {
		return strings.TrimSpace(s[len(wrapper)+1 : len(s)-1]), true
	}
	return s, false
}

// validate returns a message when v cannot load into the column, "" when it can.
func (c *checker) validate(v string) string {
	if isNull(v) {
		if c.nullable || v == "" && c.emptyOK {
			return ""
		}
		return fmt.Sprintf("empty value, but column_types makes the column %s (use Nullable(%s) to allow it)", c.typ, c.typ)
	}
	if c.check != nil && !c.check(v) {
		return fmt.Sprintf("value %q is not a valid %s (from column_types)", v, c.typ)
	}
	return ""
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
