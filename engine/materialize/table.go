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
// ON CLUSTER create (and a Replicated database refuses CREATE ... AS SELECT).
func planRebuild(in Input) ([]Step, error) {
	caps := ModelCaps(in.Node, in.Caps)
	clause, err := TableClauseFor(in.Node.Config, caps)
	if err != nil {
		return nil, err
	}
	target := Target(in.Node)
	tmp := TempRelation(target, in.Suffix)
	query := "SELECT * FROM (\n" + trimSQL(in.SQL) + "\n)"
	create, err := CreateTable(tmp, TableDef{Select: query, Clause: clause}, caps)
	if err != nil {
		return nil, err
	}
	steps := append([]Step{CleanupTemps(target, caps)}, create...)
	steps = append(steps, Step{Purpose: "fill " + tmp.String(), SQL: InsertInto(tmp, "", caps) + " " + query, CountRows: true})
	swap, err := Swap(tmp, target, in.State, caps)
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
