package materialize

import (
	"fmt"
	"strings"
)

// TableMaterialization rebuilds the whole table on every run: the rows go into a temporary table
// in the same database which then replaces the target (see Swap).
type TableMaterialization struct{}

var _ Materialization = TableMaterialization{}

// Name implements Materialization.
func (TableMaterialization) Name() string { return "table" }

// ConfigKeys implements Materialization.
func (TableMaterialization) ConfigKeys() []string { return TableKeys() }

// Plan implements Materialization.
func (TableMaterialization) Plan(in Input) ([]Step, error) {
	if err := checkInput(in); err != nil {
		return nil, err
	}
	steps, err := planRebuild(in)
	if err != nil {
		return nil, fmt.Errorf("materialize %s: %w", in.Node.UniqueID, err)
	}
	return steps, nil
}

// planRebuild is the table plan, shared with incremental first runs and full refreshes.
// The table is created empty from the query's structure and then filled, rather than with
// CREATE ... AS SELECT, because ClickHouse would run the SELECT on every node of an
// ON CLUSTER create.
func planRebuild(in Input) ([]Step, error) {
	clause, err := TableClause(in.Node.Config)
	if err != nil {
		return nil, err
	}
	target := Target(in.Node)
	tmp := TempRelation(target, in.Suffix)
	query := "SELECT * FROM (\n" + trimSQL(in.SQL) + "\n)"
	steps := []Step{
		CleanupTemps(target, in.Caps),
		{Purpose: "create " + tmp.String(), SQL: "CREATE TABLE " + tmp.String() + OnCluster(in.Caps) + " " + clause + " EMPTY AS " + query},
		{Purpose: "fill " + tmp.String(), SQL: "INSERT INTO " + tmp.String() + " " + query, CountRows: true},
	}
	swap, err := Swap(tmp, target, in.State, in.Caps)
	if err != nil {
		return nil, err
	}
	return append(steps, swap...), nil
}

// trimSQL drops whitespace and trailing semicolons, which would end the statement early once
// the SELECT is wrapped in a subquery.
func trimSQL(sql string) string {
	return strings.TrimRight(strings.TrimSpace(sql), "; \t\r\n")
}
