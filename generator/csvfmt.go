package generator

import (
	"strconv"
	"time"
)

// Hand-rolled CSV and date formatting: encoding/csv and time.Format dominate a profile of tens of
// millions of rows, while these appenders only copy bytes.

// appendField appends s as an RFC 4180 field, quoting only when s needs it.
func appendField(dst []byte, s string) []byte {
	needs := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == ',' || c == '\n' || c == '\r' {
			needs = true
			break
		}
	}
	if !needs {
		return append(dst, s...)
	}
	return appendQuoted(dst, s)
}

// appendQuoted appends s always quoted, doubling inner quotes (payloads are JSON, so always quoted).
func appendQuoted[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"', '"')
		} else {
			dst = append(dst, s[i])
		}
	}
	return append(dst, '"')
}

func appendUint(dst []byte, v uint64) []byte { return strconv.AppendUint(dst, v, 10) }

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// appendDigits appends v as exactly n decimal digits, zero padded.
func appendDigits(dst []byte, v int, n int) []byte {
	var b [4]byte
	for i := n - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[:n]...)
}

// appendDate appends t's date as YYYY-MM-DD.
func appendDate(dst []byte, t time.Time) []byte {
	y, m, d := t.Date()
	dst = appendDigits(dst, y, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(m), 2)
	dst = append(dst, '-')
	return appendDigits(dst, d, 2)
}

// appendDateTime appends t as YYYY-MM-DD HH:MM:SS (the CDC timestamp format).
func appendDateTime(dst []byte, t time.Time) []byte {
	dst = appendDate(dst, t)
	dst = append(dst, ' ')
	return appendClock(dst, t.Hour()*3600_000+t.Minute()*60_000+t.Second()*1000, false)
}

// appendClock appends milliseconds-of-day as HH:MM:SS, or HH:MM:SS.mmm when withMillis is set.
func appendClock(dst []byte, msOfDay int, withMillis bool) []byte {
	s := msOfDay / 1000
	dst = appendDigits(dst, s/3600, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, s/60%60, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, s%60, 2)
	if withMillis {
		dst = append(dst, '.')
		dst = appendDigits(dst, msOfDay%1000, 3)
	}
	return dst
}

func dateString(t time.Time) string { return string(appendDate(nil, t)) }
