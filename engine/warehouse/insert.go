package warehouse

import (
	"context"
	"fmt"
	"strings"
)

// Inserter is implemented by warehouses that take rows from this process: one INSERT of one
// block. It is how files reach a server that cannot read this machine's disk. Callers keep
// blocks bounded; the implementation may hold one block in memory.
type Inserter interface {
	// Insert appends one block to table (a quoted `db`.`name`). data holds one slice per column
	// of columns, all of the same length: []string for String columns, []uint64 for UInt64.
	Insert(ctx context.Context, table string, columns []string, data []any) (Stats, error)
}

// Insert sends a block through wh when it is an Inserter.
func Insert(ctx context.Context, wh Warehouse, table string, columns []string, data []any) (Stats, error) {
	ins, ok := wh.(Inserter)
	if !ok {
		return Stats{}, fmt.Errorf("target %s cannot receive rows from dwm", wh.Capabilities().Kind)
	}
	return ins.Insert(ctx, table, columns, data)
}

// BlockRows is the number of rows in a block, checking that every column has it.
func BlockRows(columns []string, data []any) (int, error) {
	if len(columns) != len(data) {
		return 0, fmt.Errorf("insert: %d columns but %d data slices", len(columns), len(data))
	}
	n := -1
	for i, d := range data {
		var l int
		switch v := d.(type) {
		case []string:
			l = len(v)
		case []uint64:
			l = len(v)
		default:
			return 0, fmt.Errorf("insert: column %s: unsupported data %T", columns[i], d)
		}
		if n >= 0 && l != n {
			return 0, fmt.Errorf("insert: column %s has %d values, the first column %d", columns[i], l, n)
		}
		n = l
	}
	return max(n, 0), nil
}

// Insert counts the block as a statement, then sends it.
func (c *CrashAfter) Insert(ctx context.Context, table string, columns []string, data []any) (Stats, error) {
	c.tick(ctx, "INSERT INTO "+table+" ("+strings.Join(columns, ", ")+") -- one block sent by dwm")
	return Insert(ctx, c.Warehouse, table, columns, data)
}

var _ Inserter = (*CrashAfter)(nil)
