// Package utf8check finds the first byte of a text that is not UTF-8, as a line and column, so
// a project file saved in another encoding (Latin-1, UTF-16) is refused with its position
// instead of being accepted with garbled names or failing without a line.
package utf8check

import (
	"fmt"
	"unicode/utf8"
)

// Error is a file that is not valid UTF-8 at Line:Col (1-based; Col counts bytes).
type Error struct {
	File      string
	Line, Col int
	Byte      byte
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: not valid UTF-8 (byte 0x%02x): save the file as UTF-8", e.File, e.Line, e.Col, e.Byte)
}

// Check returns an *Error for the first invalid byte of data, or nil.
func Check(file string, data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return &Error{File: file, Line: line, Col: col, Byte: data[i]}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col += size
		}
		i += size
	}
	return nil
}

// Offset returns the byte offset of the first invalid byte of s, or -1.
func Offset(s string) int {
	if utf8.ValidString(s) {
		return -1
	}
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return i
			}
		}
	}
	return -1
}
