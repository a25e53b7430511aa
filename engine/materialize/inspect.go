package materialize

import (
	"context"
	"fmt"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Inspect reads the state of relation db.name: whether it exists, as what, and its insertable
// columns and keys. It is the only read a plan needs, and runs at most two small queries.
func Inspect(ctx context.Context, wh warehouse.Warehouse, db, name string) (State, error) {
	where := "database = " + manifest.QuoteString(db)
	res, err := wh.Query(ctx, "SELECT engine, sorting_key, partition_key, primary_key FROM system.tables WHERE "+where+" AND name = "+manifest.QuoteString(name))
	if err != nil {
		return State{}, fmt.Errorf("inspect %s.%s: %w", db, name, err)
	}
	if len(res.Rows) == 0 {
		return State{Kind: Absent}, nil
	}
	st := State{Engine: res.String(0, 0),
		Keys: TableKeyExprs{SortingKey: res.String(0, 1), PartitionKey: res.String(0, 2), PrimaryKey: res.String(0, 3)}}
	switch st.Engine {
	case "View":
		st.Kind = View
		return st, nil
	case "MaterializedView", "LiveView", "WindowView", "Dictionary":
		st.Kind = Other
		return st, nil
	}
	st.Kind = Table
	res, err = wh.Query(ctx, "SELECT name, type FROM system.columns WHERE "+where+" AND table = "+
		manifest.QuoteString(name)+" AND default_kind NOT IN ('MATERIALIZED', 'ALIAS') ORDER BY position")
	if err != nil {
		return State{}, fmt.Errorf("inspect columns of %s.%s: %w", db, name, err)
	}
	for i := range res.Rows {
		st.Columns = append(st.Columns, warehouse.Column{Name: res.String(i, 0), Type: res.String(i, 1)})
	}
	return st, nil
}
