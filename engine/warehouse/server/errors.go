package server

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// codeNameRe finds the symbolic error name ClickHouse appends to exception text, e.g. "(UNKNOWN_TABLE)".
var codeNameRe = regexp.MustCompile(`\s*\(([A-Z][A-Z0-9_]+)\)\s*(\(version [^)]*\))?\s*$`)

// wrap turns a clickhouse-go error into dwm's: a server exception becomes *warehouse.QueryError
// with the statement's SQL, anything else is wrapped with what. Either way the password is
// scrubbed from the text, whatever produced it (a proxy echoing a URL, a driver message).
func (w *Warehouse) wrap(what string, err error, sql string) error {
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		qe := &warehouse.QueryError{Code: int(ex.Code), Name: ex.CodeName, Message: w.scrub(ex.Message), SQL: sql}
		if m := codeNameRe.FindStringSubmatchIndex(qe.Message); m != nil {
			if qe.Name == "" {
				qe.Name = qe.Message[m[2]:m[3]]
			}
			qe.Message = qe.Message[:m[0]]
		}
		qe.Message = strings.TrimPrefix(qe.Message, "DB::Exception: ")
		return qe
	}
	if w.opts.Password != "" && strings.Contains(err.Error(), w.opts.Password) {
		// The original error cannot be kept in the chain: its Error() would print the secret.
		return fmt.Errorf("%s: %s", what, w.scrub(err.Error()))
	}
	return fmt.Errorf("%s: %w", what, err)
}

func (w *Warehouse) scrub(s string) string {
	if w.opts.Password == "" {
		return s
	}
	return strings.ReplaceAll(s, w.opts.Password, "***")
}
