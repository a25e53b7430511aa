package cdc

import (
	"context"
	"fmt"
	"strconv"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Staging lands CDC files: each file matched by the files config is loaded once, into its own
// partition, with rows that do not convert kept in `<model>__quarantine`.
type Staging struct{}

var (
	_ materialize.Materialization = Staging{}
	_ materialize.Preparer        = Staging{}
	_ materialize.Reporter        = Staging{}
)

// Name implements materialize.Materialization.
func (Staging) Name() string { return "staging" }

// ConfigKeys implements materialize.Materialization.
func (Staging) ConfigKeys() []string { return []string{"files", "format", "op"} }

// Prepare implements materialize.Preparer: it finds the files not yet loaded.
func (Staging) Prepare(ctx context.Context, wh warehouse.Warehouse, in *materialize.Input, env materialize.PrepareEnv) error {
	if err := refuseSharded(in.Node, in.Caps); err != nil {
		return err
	}
	b, err := prepareLoad(ctx, wh, in, env)
	if err != nil {
		return err
	}
	if b.format() == FormatCSV {
		if b.Op, err = opColumn(in.Node, b.Columns); err != nil {
			return fmt.Errorf("materialize %s: %w", in.Node.UniqueID, err)
		}
	}
	in.Prepared = b
	return nil
}

// Plan implements materialize.Materialization.
func (Staging) Plan(in materialize.Input) ([]materialize.Step, error) {
	if in.Node == nil {
		return nil, fmt.Errorf("materialize: no node")
	}
	if err := refuseSharded(in.Node, in.Caps); err != nil {
		return nil, err
	}
	steps, err := planLoad(in, loadSpec{processed: true})
	if err != nil {
		return nil, fmt.Errorf("materialize %s: %w", in.Node.UniqueID, err)
	}
	return steps, nil
}

// Report implements materialize.Reporter.
func (Staging) Report(ctx context.Context, wh warehouse.Warehouse, in materialize.Input) (string, error) {
	return reportLoad(ctx, wh, in)
}

// reportLoad sums the ledger rows this run wrote, e.g. "2 files, 600 rows, 1 quarantined".
func reportLoad(ctx context.Context, wh warehouse.Warehouse, in materialize.Input) (string, error) {
	b, ok := in.Prepared.(*LoadBatch)
	if !ok || b == nil || len(b.Files) == 0 {
		return "no new files", nil
	}
	l := ledgerOf(in.Node)
	res, err := wh.Query(ctx, "SELECT count(), sum(delivered), sum(loaded), sum(duplicates), sum(quarantined) FROM "+l.String()+
		" WHERE model = "+manifest.QuoteString(modelKey(in.Node))+" AND kind = 'file' AND seq > "+strconv.FormatUint(b.LastSeq, 10))
	if err != nil {
		return "", fmt.Errorf("report %s: %w", in.Node.UniqueID, err)
	}
	msg := fmt.Sprintf("%s files, %s rows loaded", res.String(0, 0), res.String(0, 2))
	if b.Rebuild != "" {
		msg = "reloaded from scratch because " + b.Rebuild + ": " + msg
	}
	if d := res.String(0, 3); d != "0" {
		msg += ", " + d + " duplicates"
	}
	if q := res.String(0, 4); q != "0" {
		msg += ", " + q + " quarantined"
	}
	return msg, nil
}
