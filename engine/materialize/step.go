package materialize

import (
	"context"
	"fmt"
	"strconv"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// Step is one statement of a plan with a short label saying what it is for; the label prefixes
// any error, so a failure reads "swap into `db`.`orders`: clickhouse error ...".
//
// A step whose statements depend on warehouse data (which partitions the new rows touched, which
// temporary tables a crashed run left) sets Expand: SQL is then run with Query and Expand, a pure
// function, turns the result into the statements to Exec. Golden tests call Expand on a sample
// result, so that SQL is pinned too.
type Step struct {
	Purpose string
	SQL     string
	// CountRows marks the step whose written rows are the model's output. Plans that copy rows
	// through a temporary table mark only one copy, so Execute reports each row once.
	CountRows bool
	// Expand, when set, makes SQL a query whose result becomes the statements to run.
	Expand func(*warehouse.Result) ([]string, error)
	// CountResult, on a step with Expand, takes the model's output rows from the query's first
	// value: for plans whose output is never written by one INSERT (a load that writes every
	// delivered row, then deletes the rejected ones).
	CountResult bool
	// Upload, when set, sends rows from this process instead of running SQL, which then only
	// describes the upload for the run log (an SQL comment).
	Upload Upload
}

// Upload is data a step sends from this process into the warehouse, in bounded blocks through
// warehouse.Inserter: how files reach a server that cannot read this machine's disk.
type Upload interface {
	Send(ctx context.Context, wh warehouse.Warehouse) (warehouse.Stats, error)
}

// Execute runs steps in order on wh and stops at the first error. log, when not nil, receives
// every statement just before it runs (queries of expanding steps included, uploads as their
// description), so a runner can keep what was executed. The returned Stats sum the rows written by CountRows steps and the
// rows read and time of all statements.
func Execute(ctx context.Context, wh warehouse.Warehouse, steps []Step, log func(sql string)) (warehouse.Stats, error) {
	var total warehouse.Stats
	exec := func(s Step, sql string, count bool) error {
		if log != nil {
			log(sql)
		}
		st, err := wh.Exec(ctx, sql)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Purpose, err)
		}
		total.RowsRead += st.RowsRead
		total.Elapsed += st.Elapsed
		if count {
			total.RowsWritten += st.RowsWritten
		}
		return nil
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("%s: %w", s.Purpose, err)
		}
		if s.Upload != nil {
			if log != nil {
				log(s.SQL)
			}
			st, err := s.Upload.Send(ctx, wh)
			if err != nil {
				return total, fmt.Errorf("%s: %w", s.Purpose, err)
			}
			total.Elapsed += st.Elapsed
			if s.CountRows {
				total.RowsWritten += st.RowsWritten
			}
			continue
		}
		if s.Expand == nil {
			if err := exec(s, s.SQL, s.CountRows); err != nil {
				return total, err
			}
			continue
		}
		if log != nil {
			log(s.SQL)
		}
		res, err := wh.Query(ctx, s.SQL)
		if err != nil {
			return total, fmt.Errorf("%s: %w", s.Purpose, err)
		}
		total.RowsRead += res.Stats.RowsRead
		total.Elapsed += res.Stats.Elapsed
		if s.CountResult && len(res.Rows) > 0 {
			n, err := strconv.ParseUint(res.String(0, 0), 10, 64)
			if err != nil {
				return total, fmt.Errorf("%s: rows written %q: %w", s.Purpose, res.String(0, 0), err)
			}
			total.RowsWritten += n
		}
		stmts, err := s.Expand(res)
		if err != nil {
			return total, fmt.Errorf("%s: %w", s.Purpose, err)
		}
		for _, sql := range stmts {
			if err := exec(s, sql, s.CountRows); err != nil {
				return total, err
			}
		}
	}
	return total, nil
}
