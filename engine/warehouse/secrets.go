package warehouse

import (
	"context"
	"errors"
	"sort"
	"strings"
)

// WithSecrets returns wh with placeholders filled in: every statement has each key of secrets
// (a placeholder such as '<dwm secret: s3.secret_access_key>') replaced by its value right
// before it is sent, and every error that comes back has the values replaced by the
// placeholders again. Callers, run logs and artifacts thus only ever see placeholders; the
// values exist in the statement that leaves the process and nowhere else. With no secrets wh is
// returned as is.
func WithSecrets(wh Warehouse, secrets map[string]string) Warehouse {
	if len(secrets) == 0 {
		return wh
	}
	var fill, scrub []string
	keys := make([]string, 0, len(secrets))
	for k := range secrets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, ph := range keys {
		lit := secrets[ph]
		fill = append(fill, ph, lit)
		// Values show up in messages quoted as in the statement, or bare (a server echoing a
		// signature error, an escaped literal inside another message).
		scrub = append(scrub, lit, ph)
		if v := unquote(lit); v != "" {
			scrub = append(scrub, v, strings.Trim(ph, "'"))
		}
	}
	return &secretWarehouse{Warehouse: wh, fill: strings.NewReplacer(fill...), scrub: strings.NewReplacer(scrub...)}
}

type secretWarehouse struct {
	Warehouse
	fill, scrub *strings.Replacer
}

var (
	_ Warehouse = (*secretWarehouse)(nil)
	_ Inserter  = (*secretWarehouse)(nil)
)

// Exec implements Warehouse.
func (s *secretWarehouse) Exec(ctx context.Context, sql string) (Stats, error) {
	st, err := s.Warehouse.Exec(ctx, s.fill.Replace(sql))
	return st, s.clean(err, sql)
}

// Query implements Warehouse.
func (s *secretWarehouse) Query(ctx context.Context, sql string) (*Result, error) {
	res, err := s.Warehouse.Query(ctx, s.fill.Replace(sql))
	if err != nil {
		return nil, s.clean(err, sql)
	}
	return res, nil
}

// Insert implements Inserter; rows are data, never filled in.
func (s *secretWarehouse) Insert(ctx context.Context, table string, columns []string, data []any) (Stats, error) {
	st, err := Insert(ctx, s.Warehouse, table, columns, data)
	return st, s.clean(err, "")
}

// clean scrubs the values from err. A QueryError anywhere in the chain (made for this very
// statement) is fixed in place: its message scrubbed, its SQL the caller's, with placeholders. Any
// other text that still holds a value loses the chain, since the wrapped error would print it.
func (s *secretWarehouse) clean(err error, sql string) error {
	if err == nil {
		return nil
	}
	var qe *QueryError
	if errors.As(err, &qe) {
		qe.Message = s.scrub.Replace(qe.Message)
		if qe.SQL != "" {
			qe.SQL = sql
		}
	}
	msg := err.Error()
	if clean := s.scrub.Replace(msg); clean != msg {
		return errors.New(clean)
	}
	return err
}

// unquote reverses manifest.QuoteString for the scrubber (it cannot import manifest).
func unquote(lit string) string {
	if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
		return ""
	}
	return strings.NewReplacer(`\\`, `\`, `\'`, `'`).Replace(lit[1 : len(lit)-1])
}
