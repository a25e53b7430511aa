package materialize

import "fmt"

// ViewMaterialization builds a plain view: CREATE OR REPLACE VIEW, which swaps the definition
// atomically. A table of the same name is dropped first because replacing one kind of relation
// with another is not portable across database engines.
type ViewMaterialization struct{}

var _ Materialization = ViewMaterialization{}

// Name implements Materialization.
func (ViewMaterialization) Name() string { return "view" }

// ConfigKeys implements Materialization: views take no table options.
func (ViewMaterialization) ConfigKeys() []string { return nil }

// Plan implements Materialization.
func (ViewMaterialization) Plan(in Input) ([]Step, error) {
	if err := checkInput(in); err != nil {
		return nil, err
	}
	target := Target(in.Node)
	var steps []Step
	switch in.State.Kind {
	case Table:
		// On a sharded target the table is a Distributed table plus its local table.
		for _, rel := range storedAs(target, in.Caps) {
			steps = append(steps, Step{Purpose: "drop table " + rel.String(), SQL: dropTable(rel, in.Caps)})
		}
	case Other:
		return nil, fmt.Errorf("materialize %s: %s exists as %s; dwm replaces only tables and views, drop it by hand",
			in.Node.UniqueID, target, in.State.Engine)
	}
	steps = append(steps, Step{
		Purpose: "create view " + target.String(),
		SQL:     "CREATE OR REPLACE VIEW " + target.String() + OnCluster(in.Caps) + " AS\n" + trimSQL(in.SQL),
	})
	return steps, nil
}
