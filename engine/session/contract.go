package session

import (
	"context"
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/contract"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// checkColumns asks the engine what the model's SQL produces (DESCRIBE of the query, which reads
// no data) and compares it with the declared columns, before any statement of the build runs. An
// enforced contract that is not met is an error; without a contract, differing declared types
// are returned as warnings. Only materializations that build the query's columns are checked;
// an enforced contract on another kind is an error rather than a promise not kept.
func (s *Session) checkColumns(ctx context.Context, wh warehouse.Warehouse, n *manifest.Node, sql string) ([]string, error) {
	if !contract.Declares(n) {
		return nil, nil
	}
	if !s.Registry.ColumnsFromSQL(n.Config.Materialized) {
		if manifest.ContractEnforced(n.Config.Raw) {
			return nil, fmt.Errorf("contract: materialized %q does not build the columns of the model's query, so its contract cannot be checked (view, table and incremental can)", n.Config.Materialized)
		}
		return nil, nil
	}
	actual, err := describeQuery(ctx, wh, sql)
	if err != nil {
		return nil, fmt.Errorf("describe the model's columns: %w", err)
	}
	declared, err := normaliseTypes(ctx, wh, n.Columns)
	if err != nil {
		return nil, err
	}
	if manifest.ContractEnforced(n.Config.Raw) {
		return nil, contract.Check(n.Name, n.Columns, declared, actual)
	}
	return contract.Warnings(n.Columns, declared, actual), nil
}

func describeQuery(ctx context.Context, wh warehouse.Warehouse, sql string) ([]contract.Column, error) {
	q := strings.TrimRight(strings.TrimSpace(sql), ";")
	res, err := wh.Query(ctx, "DESCRIBE (\n"+q+"\n)")
	if err != nil {
		return nil, err
	}
	out := make([]contract.Column, len(res.Rows))
	for i := range res.Rows {
		out[i] = contract.Column{Name: res.String(i, 0), Type: res.String(i, 1)}
	}
	return out, nil
}

// normaliseTypes has the engine spell each declared type its own way (bigint -> Int64,
// decimal(18,2) -> Decimal(18, 2)), so declarations compare by meaning, not by spelling.
func normaliseTypes(ctx context.Context, wh warehouse.Warehouse, cols []manifest.Column) (map[string]string, error) {
	out := map[string]string{}
	var exprs []string
	var names []string
	for _, c := range cols {
		if c.DataType == "" {
			continue
		}
		exprs = append(exprs, "toTypeName(defaultValueOfTypeName("+manifest.QuoteString(c.DataType)+"))")
		names = append(names, c.Name)
	}
	if len(exprs) == 0 {
		return out, nil
	}
	res, err := wh.Query(ctx, "SELECT "+strings.Join(exprs, ", "))
	if err != nil {
		// Find the culprit, so the message names the column.
		for _, c := range cols {
			if c.DataType == "" {
				continue
			}
			if _, cerr := wh.Query(ctx, "SELECT toTypeName(defaultValueOfTypeName("+manifest.QuoteString(c.DataType)+"))"); cerr != nil {
				return nil, fmt.Errorf("column %s: data_type %q is not a ClickHouse type: %w", c.Name, c.DataType, cerr)
			}
		}
		return nil, fmt.Errorf("declared data types: %w", err)
	}
	for i, name := range names {
		out[name] = res.String(0, i)
	}
	return out, nil
}
