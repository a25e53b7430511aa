package cdc

import (
	"context"
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Fact loads append-only event files once each, skipping rows whose unique_key was already
// loaded and quarantining rows that do not convert or match a quarantine_if rule, so that per
// file loaded + duplicates + quarantined = delivered.
type Fact struct{}

var (
	_ materialize.Materialization = Fact{}
	_ materialize.Preparer        = Fact{}
	_ materialize.Reporter        = Fact{}
)

// Name implements materialize.Materialization.
func (Fact) Name() string { return "fact" }

// ConfigKeys implements materialize.Materialization.
func (Fact) ConfigKeys() []string {
	return []string{"files", "format", "dedupe_scope", "quarantine_if", "cursor", "order_by"}
}

// Prepare implements materialize.Preparer: new files, and the rules with their refs resolved.
func (Fact) Prepare(ctx context.Context, wh warehouse.Warehouse, in *materialize.Input, env materialize.PrepareEnv) error {
	if err := refuseSharded(in.Node, in.Caps); err != nil {
		return err
	}
	if factReadsRelation(in.Node) {
		b, err := prepareFactRelation(ctx, wh, in, env)
		if err != nil {
			return fmt.Errorf("materialize %s: %w", in.Node.UniqueID, err)
		}
		in.Prepared = b
		return nil
	}
	b, err := prepareLoad(ctx, wh, in, env)
	if err != nil {
		return err
	}
	if b.Rules, err = resolveRules(in.Node, env); err != nil {
		return fmt.Errorf("materialize %s: %w", in.Node.UniqueID, err)
	}
	in.Prepared = b
	return nil
}

// Plan implements materialize.Materialization.
func (Fact) Plan(in materialize.Input) ([]materialize.Step, error) {
	if in.Node == nil {
		return nil, fmt.Errorf("materialize: no node")
	}
	if err := refuseSharded(in.Node, in.Caps); err != nil {
		return nil, err
	}
	if len(in.Node.Config.UniqueKey) == 0 {
		return nil, fmt.Errorf("materialize %s: fact needs unique_key", in.Node.UniqueID)
	}
	if b, ok := in.Prepared.(*FactRelationBatch); ok {
		steps, err := planFactRelation(in, b)
		if err != nil {
			return nil, fmt.Errorf("materialize %s: %w", in.Node.UniqueID, err)
		}
		return steps, nil
	}
	spec := loadSpec{uniqueKey: in.Node.Config.UniqueKey, scope: strings.TrimSpace(in.Node.Config.String("dedupe_scope"))}
	steps, err := planLoad(in, spec)
	if err != nil {
		return nil, fmt.Errorf("materialize %s: %w", in.Node.UniqueID, err)
	}
	return steps, nil
}

// Report implements materialize.Reporter.
func (Fact) Report(ctx context.Context, wh warehouse.Warehouse, in materialize.Input) (string, error) {
	if b, ok := in.Prepared.(*FactRelationBatch); ok {
		return reportFactRelation(ctx, wh, in, b)
	}
	return reportLoad(ctx, wh, in)
}

// KeyClauses implements materialize.Keyed: a fact's table keeps the ORDER BY it was created with
// (factOrderBy) for as long as it holds the files loaded into it. Its partitioning is dwm's own
// (one partition per file), not the config's.
func (Fact) KeyClauses(n *manifest.Node, _ warehouse.Capabilities) ([]materialize.KeyClause, error) {
	order, err := factOrderBy(n, n.Config.String("dedupe_scope"))
	if err != nil {
		return nil, err
	}
	return []materialize.KeyClause{{Clause: materialize.ClauseOrderBy, Config: "order_by", Want: order}}, nil
}

var _ materialize.Keyed = Fact{}
