package materialize

import (
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
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
		// A rebuild drops the swap table with the other leftovers; finishing the swap first
		// keeps the table whole should the rebuild itself be killed before its exchange.
		return append(redoSwap(Target(in.Node), ModelCaps(in.Node, in.Caps)), steps...), nil
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
	// Before the leftover temporaries go, an interrupted swap is finished (insert_overwrite.go);
	// whatever the strategy is now, the table is first made what that run was making it.
	redo := redoSwap(target, caps)
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

// planDeleteInsert deletes with ALTER TABLE ... DELETE and mutations_sync = 2 rather than a
// lightweight DELETE: it works on every MergeTree table (lightweight DELETE refuses tables with
// projections by default), and mutations_sync = 2 returns only when the rows are gone on all
// replicas, so the following INSERT and any reader see the final state on chDB and on a server
// alike (a server's default mutations_sync is 0, asynchronous). On a cluster the mutation runs
// on the target's storage (the local tables of a sharded target, every shard) and its subquery
// reads tmp, which every replica holds by then (see DeleteWhere).
//
// The steps are not atomic together: if the run dies after the DELETE, the deleted keys are
// missing until the model runs again and re-inserts them.
func planDeleteInsert(in Input, caps warehouse.Capabilities, target Relation, query string, cleanup Step) ([]Step, error) {
	tmp := TempRelation(target, in.Suffix)
	keys := make([]string, len(in.Node.Config.UniqueKey))
	for i, k := range in.Node.Config.UniqueKey {
		keys[i] = manifest.QuoteIdent(strings.TrimSpace(k))
	}
	key := strings.Join(keys, ", ")
	steps, err := fillTemp(in, caps, target, tmp, query, cleanup)
	if err != nil {
		return nil, err
	}
	steps = append(steps,
		Step{Purpose: "delete replaced keys from " + target.String(),
			SQL: DeleteWhere(target, "("+key+") IN (SELECT "+key+" FROM "+tmp.String()+")", caps)},
		Step{Purpose: "insert into " + target.String(), SQL: InsertInto(target, "", caps) + " SELECT * FROM " + tmp.String()})
	steps = append(steps, SyncReplicas(target, caps)...)
	return append(steps, DropTable(tmp, caps)...), nil
}
