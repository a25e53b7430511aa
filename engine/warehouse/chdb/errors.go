package chdb

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/warehouse"
)

var (
	// "Code: 60. DB::Exception: Unknown table ... (UNKNOWN_TABLE)", optionally "(version 26.7.2.1)".
	errCodeRe = regexp.MustCompile(`^Code: (\d+)\.\s*`)
	errNameRe = regexp.MustCompile(`\s*\(([A-Z][A-Z0-9_]*)\)(?:\s*\(version [^)]*\))?\s*$`)
	// Syntax errors point into the text libchdb received, which starts with our query tag.
	errPosRe = regexp.MustCompile(`(failed at position )(\d+)`)
)

// parseError turns chdb_result_error text into a QueryError. prefixLen is how many bytes dwm
// prepended to sql (the query tag), so positions in syntax errors point into the caller's SQL.
func parseError(text, sql string, prefixLen int) *warehouse.QueryError {
	e := &warehouse.QueryError{SQL: sql}
	msg := strings.TrimSpace(text)
	if m := errCodeRe.FindStringSubmatch(msg); m != nil {
		e.Code, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	if m := errNameRe.FindStringSubmatchIndex(msg); m != nil {
		e.Name = msg[m[2]:m[3]]
		msg = msg[:m[0]]
	}
	msg = strings.TrimPrefix(msg, "DB::Exception: ")
	if prefixLen > 0 {
		msg = errPosRe.ReplaceAllStringFunc(msg, func(s string) string {
			m := errPosRe.FindStringSubmatch(s)
			n, err := strconv.Atoi(m[2])
			if err != nil || n <= prefixLen {
				return s
			}
			return m[1] + strconv.Itoa(n-prefixLen)
		})
	}
	e.Message = msg
	return e
}
