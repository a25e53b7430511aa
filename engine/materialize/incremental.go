package materialize

import (
	"fmt"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// Incremental strategies, as in dbt.
const (
	StrategyAppend          = "append"
	StrategyDeleteInsert    = "delete+insert"
	StrategyInsertOverwrite = "insert_overwrite"
)

// IncrementalMaterialization adds the rows of each run to an existing table. The first run, a
// full refresh, or a view in the way rebuilds it like TableMaterialization.
//
// Strategies:
//   - append: INSERT the new rows.
//   - delete+insert: build the new rows in a temporary table, delete the target rows whose
//     unique_key appears there, insert them.
//   - insert_overwrite: build the new rows in a temporary copy of the target, then replace each
//     partition they touch (REPLACE PARTITION is atomic per partition).
//
// New rows are inserted by column name (see insertByName), so a model whose columns changed
// fails with ClickHouse's message; evolving the schema needs --full-refresh.
type IncrementalMaterialization struct{}

var _ Materialization = IncrementalMaterialization{}

// Name implements Materialization.
func (IncrementalMaterialization) Name() string { return "incremental" }

// ConfigKeys implements Materialization.
func (IncrementalMaterialization) ConfigKeys() []string {
	return append(TableKeys(), "incremental_strategy", "unique_key", "batch_column")
}

// Plan implements Materialization.
func (IncrementalMaterialization) Plan(in Input) ([]Step, error) {
	if err := checkInput(in); err != nil {
		return nil, err
	}
	steps, err := planIncremental(in)
	if err != nil {
		return nil, fmt.Errorf("materialize %s: %w", in.Node.UniqueID, err)
	}
	return steps, nil
}

func planIncremental(in Input) ([]Step, error) {
	cfg := in.Node.Config
	strategy := cfg.IncrementalStrategy
	if strategy == "" {
		strategy = StrategyAppend
	}
	// Validate before looking at the state, so a misconfigured model fails on its first run too.
	switch strategy {
	case StrategyAppend:
	case StrategyDeleteInsert:
		if len(cfg.UniqueKey) == 0 {
			return nil, fmt.Errorf("incremental_strategy %q needs unique_key", strategy)
		}
	case StrategyInsertOverwrite:
		if pb, err := PartitionExpr(cfg); err != nil {
			return nil, err
		} else if pb == "" {
			return nil, fmt.Errorf("incremental_strategy %q needs partition_by", strategy)
		}
	default:
		return nil, fmt.Errorf("unknown incremental_strategy %q (want %s, %s or %s)",
			strategy, StrategyAppend, StrategyDeleteInsert, StrategyInsertOverwrite)
	}
	if in.FullRefresh || in.State.Kind != Table {
		steps, err := planRebuild(in)
		if err != nil || in.State.Kind != Table {
			return steps, err
		}
		// A rebuild drops the swap and ready tables with the other leftovers; finishing their
		// work first keeps the table whole should the rebuild itself be killed before its exchange.
		return append(finishInterrupted(in, Target(in.Node), ModelCaps(in.Node, in.Caps)), steps...), nil
	}
	if len(in.State.Columns) == 0 {
		return nil, fmt.Errorf("no columns known for existing table %s", Target(in.Node))
	}
	target := Target(in.Node)
	caps := ModelCaps(in.Node, in.Caps)
	if err := checkLayout(target, in.State, caps); err != nil {
		return nil, err
	}
	query := trimSQL(in.SQL)
	// Before the leftover temporaries go, an interrupted swap (insert_overwrite.go) or insert
	// (delete_insert.go) is finished; whatever the strategy is now, the table is first made what
	// that run was making it.
	redo := finishInterrupted(in, target, caps)
	var steps []Step
	var err error
	switch strategy {
	case StrategyAppend:
		steps = []Step{
			CleanupTemps(target, caps),
			{Purpose: "append to " + target.String(), SQL: insertByName(target, in.State.Columns, query, caps), CountRows: true},
		}
		steps = append(steps, SyncReplicas(target, caps)...)
	case StrategyDeleteInsert:
		steps, err = planDeleteInsert(in, caps, target, query, CleanupTemps(target, caps))
	default:
		steps, err = planInsertOverwrite(in, caps, target, query, CleanupTemps(target, caps))
	}
	if err != nil {
		return nil, err
	}
	return append(redo, steps...), nil
}

// finishInterrupted finishes what an interrupted insert_overwrite or delete+insert run left complete.
func finishInterrupted(in Input, target Relation, caps warehouse.Capabilities) []Step {
	return append(redoSwap(target, caps), redoDeleteInsert(in, target, caps)...)
}

// fillTemp creates tmp as an exact copy of target's structure and storage and fills it with
// the new rows, by column name; on a replicated target it then waits until every replica holds
// them, since the next statements may read tmp through any node.
func fillTemp(in Input, caps warehouse.Capabilities, target, tmp Relation, query string, cleanup Step) ([]Step, error) {
	create, err := CreateTable(tmp, TableDef{As: target}, caps)
	if err != nil {
		return nil, err
	}
	steps := append([]Step{cleanup}, create...)
	steps = append(steps, Step{Purpose: "fill " + tmp.String(), SQL: insertByName(tmp, in.State.Columns, query, caps), CountRows: true})
	return append(steps, SyncReplicas(tmp, caps)...), nil
}
