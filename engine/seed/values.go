package seed

import "strconv"

// The checks below accept exactly the text forms that ClickHouse's CSV input parses into the
// inferred types with default settings, and no more: a value they accept never fails the load.

// isInt reports whether s is a decimal integer without leading zeros ("007" is an identifier,
// not a number, and stays a String). A leading '+' is allowed.
func isInt(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	if i == len(s) || s[i] == '0' && len(s)-i > 1 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func fitsInt64(s string) bool {
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

func fitsUint64(s string) bool {
	if s != "" && s[0] == '+' {
		s = s[1:]
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// isFloat reports whether s is a finite decimal number: [+-]digits[.digits][e[+-]digits],
// where either side of the point may be empty but not both. Hex floats, "inf", "nan" and digit
// separators, which strconv accepts, are refused.
func isFloat(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intDigits := i - start
	if intDigits > 1 && s[start] == '0' && (i == len(s) || s[i] != '.') {
		return false // leading zero: an identifier such as a ZIP code
	}
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			fracDigits++
		}
	}
	if intDigits+fracDigits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		expStart := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == expStart {
			return false
		}
	}
	if i != len(s) {
		return false
	}
	_, err := strconv.ParseFloat(s, 64) // rejects overflow to ±Inf
	return err == nil
}

func isBool(s string) bool {
	switch len(s) {
	case 4:
		return (s[0]|0x20) == 't' && (s[1]|0x20) == 'r' && (s[2]|0x20) == 'u' && (s[3]|0x20) == 'e'
	case 5:
		return (s[0]|0x20) == 'f' && (s[1]|0x20) == 'a' && (s[2]|0x20) == 'l' && (s[3]|0x20) == 's' && (s[4]|0x20) == 'e'
	}
	return false
}

// dateYear parses YYYY-MM-DD and returns the year, or -1 when s is not a valid calendar date.
func dateYear(s string) int {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return -1
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return -1
	}
	return y
}

// dateTime parses "YYYY-MM-DD HH:MM:SS" with an optional fraction of 1 to 9 digits. It returns
// the year and the number of fractional digits, or year -1 when s is not such a value.
func dateTime(s string) (year, frac int) {
	if len(s) < 19 || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return -1, 0
	}
	year = dateYear(s[:10])
	h, ok1 := digits(s[11:13])
	mi, ok2 := digits(s[14:16])
	se, ok3 := digits(s[17:19])
	if year < 0 || !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || se > 59 {
		return -1, 0
	}
	if len(s) == 19 {
		return year, 0
	}
	if s[19] != '.' || len(s) == 20 || len(s) > 29 {
		return -1, 0
	}
	if _, ok := digits(s[20:]); !ok {
		return -1, 0
	}
	return year, len(s) - 20
}

func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// Ranges ClickHouse can store; values outside would be clamped or wrap silently.
const (
	minDateYear, maxDateYear             = 1970, 2149
	minDate32Year, maxDate32Year         = 1900, 2299
	minDateTimeYear, maxDateTimeYear     = 1970, 2105
	minDateTime64Year, maxDateTime64Year = 1900, 2299
)
