package chdb

import (
	"context"
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// RawQuery is one statement whose output a caller wants as bytes in a format of its choosing,
// for a protocol front end such as `dwm serve` that passes ClickHouse's output through unchanged.
type RawQuery struct {
	// SQL is one statement. An INSERT may carry its data inline after FORMAT, binary included:
	// libchdb takes the statement's length, so NUL bytes are data, not terminators.
	SQL string
	// Format is the output format when the statement has no FORMAT clause of its own.
	Format string
	// Database, when set, is current for this statement only.
	Database string
	// Settings apply to this statement only; names starting with param_ set query parameters.
	Settings map[string]string
}

// Raw runs q and returns the engine's output bytes. Per-statement database and settings are
// applied with USE/SET on the pooled connection and undone before the connection is handed
// back, so they never leak into the next caller's statement. Query parameters (param_*) are the
// exception: ClickHouse has no way to unset one, so a later statement that forgets a parameter
// may see an earlier value instead of an error.
func (w *Warehouse) Raw(ctx context.Context, q RawQuery) ([]byte, warehouse.Stats, error) {
	format := q.Format
	if format == "" {
		format = "TabSeparated"
	}
	r, err := w.runRaw(ctx, q, func(c *conn, tagged string) (rawResult, error) {
		return c.lib.query(c.h, tagged, format)
	})
	if err != nil {
		return nil, warehouse.Stats{}, err
	}
	return []byte(r.out), r.stats(), nil
}

// runRaw runs call on a pooled connection with q's database and settings in force for it only,
// and leaves the connection clean when the statement fails (see conn.flush).
func (w *Warehouse) runRaw(ctx context.Context, q RawQuery, call func(c *conn, tagged string) (rawResult, error)) (rawResult, error) {
	setup, undo, err := rawSetup(q.Settings)
	if err != nil {
		return rawResult{}, fmt.Errorf("chdb raw: %w", err)
	}
	return w.runCall(ctx, q.SQL, func(c *conn, tagged string) outcome {
		return withStatementState(c, q.Database, setup, undo, func() outcome {
			r, err := call(c, tagged)
			if err != nil || r.err != "" {
				c.flush()
			}
			return outcome{r: r, err: err}
		})
	})
}

// withStatementState runs fn with database and setup applied and undoes them afterwards. A failed
// setup statement is reported as the statement's error (a bad setting name is the caller's
// mistake); undo always runs, so a half-applied setup is rolled back too.
func withStatementState(c *conn, database string, setup, undo []string, fn func() outcome) outcome {
	if database != "" {
		// Pooled connections start in the database Open made current, which only the
		// connection itself knows; ask it so the undo puts exactly that one back.
		prev, err := c.lib.query(c.h, "SELECT currentDatabase()", "TSV")
		if err != nil || prev.err != "" {
			return outcome{err: fmt.Errorf("current database: %v%s", err, prev.err)}
		}
		setup = append([]string{"USE " + quoteIdent(database)}, setup...)
		undo = append(undo, "USE "+quoteIdent(strings.TrimSuffix(prev.out, "\n")))
	}
	defer func() {
		for _, s := range undo {
			_, _ = c.exec(s) // best effort: SET x = DEFAULT and USE of an existing database do not fail
		}
	}()
	for _, s := range setup {
		if _, err := c.exec(s); err != nil {
			return outcome{err: err}
		}
	}
	return fn()
}

// rawSetup turns per-statement settings into SET statements before it and resets after it.
func rawSetup(settings map[string]string) (setup, undo []string, err error) {
	for _, k := range sortedKeys(settings) {
		if !settingNameRe.MatchString(k) {
			return nil, nil, fmt.Errorf("invalid setting name %q", k)
		}
		setup = append(setup, "SET "+k+" = "+quoteString(settings[k]))
		if !strings.HasPrefix(k, "param_") {
			undo = append(undo, "SET "+k+" = DEFAULT")
		}
	}
	return setup, undo, nil
}
