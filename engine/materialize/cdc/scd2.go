package cdc

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// SCD2 keeps the versioned history of the rows of a staging model: each staging file is one
// batch, committed atomically by its ledger row; the model's relation is a view that shows only
// committed batches (see planSCD2 for the storage layout).
type SCD2 struct{}

var (
	_ materialize.Materialization = SCD2{}
	_ materialize.Preparer        = SCD2{}
	_ materialize.Reporter        = SCD2{}
)

// Name implements materialize.Materialization.
func (SCD2) Name() string { return "scd2" }

// ConfigKeys implements materialize.Materialization.
func (SCD2) ConfigKeys() []string {
	return []string{"cdc_timestamp", "updated_at", "op", "source_system", "staging"}
}

// SCD2Batch is what Prepare found for an scd2 model; it is Input.Prepared.
type SCD2Batch struct {
	// Columns are the model SELECT's output columns.
	Columns []warehouse.Column
	// Staging is the staging model's relation; its rows get processed = true once consumed.
	Staging materialize.Relation
	// SourceSystem fills the source_system column.
	SourceSystem string
	// Committed is the last committed batch (0: none, or a full refresh).
	Committed uint64
	// LastSeq is the staging _load_seq consumed up to; MarkFrom the seq after which staging rows
	// may still lack processed = true (the start of the last committed batch).
	LastSeq, MarkFrom uint64
	// Seqs are the staging files to apply now, one batch each, in order.
	Seqs []uint64
}

// scd2Config is the model's scd2 configuration with defaults applied.
type scd2Config struct {
	keys    []string
	ts, op  string
	staging string
}

func configOf(n *manifest.Node) (scd2Config, error) {
	c := scd2Config{ts: "cdc_timestamp", op: "op"}
	for _, k := range n.Config.UniqueKey {
		if k = strings.TrimSpace(k); k != "" {
			c.keys = append(c.keys, k)
		}
	}
	if len(c.keys) == 0 {
		return c, fmt.Errorf("scd2 needs unique_key")
	}
	if v := n.Config.String("cdc_timestamp"); v != "" {
		c.ts = v
	} else if v := n.Config.String("updated_at"); v != "" {
		c.ts = v
	}
	if v := n.Config.String("op"); v != "" {
		c.op = v
	}
	c.staging = n.Config.String("staging")
	if c.staging == "" {
		if len(n.Refs) != 1 {
			return c, fmt.Errorf("scd2 selects from exactly one staging model, found refs %v (set config staging to choose)", n.Refs)
		}
		c.staging = n.Refs[0]
	}
	return c, nil
}

// Prepare implements materialize.Preparer: the SELECT's columns, the last committed batch and
// the staging files committed since.
func (SCD2) Prepare(ctx context.Context, wh warehouse.Warehouse, in *materialize.Input, env materialize.PrepareEnv) error {
	b, err := prepareSCD2(ctx, wh, in, env)
	if err != nil {
		return fmt.Errorf("materialize %s: %w", in.Node.UniqueID, err)
	}
	in.Prepared = b
	return nil
}

func prepareSCD2(ctx context.Context, wh warehouse.Warehouse, in *materialize.Input, env materialize.PrepareEnv) (*SCD2Batch, error) {
	n := in.Node
	cfg, err := configOf(n)
	if err != nil {
		return nil, err
	}
	var stg *manifest.Node
	if env.Ref != nil {
		stg = env.Ref(cfg.staging)
	}
	if stg == nil {
		return nil, fmt.Errorf("staging model %q not found", cfg.staging)
	}
	b := &SCD2Batch{Staging: materialize.Target(stg), SourceSystem: stg.Name}
	if v := n.Config.String("source_system"); v != "" {
		b.SourceSystem = v
	}
	desc, err := wh.Query(ctx, "DESCRIBE TABLE ("+strings.TrimRight(strings.TrimSpace(in.SQL), "; \t\r\n")+")")
	if err != nil {
		return nil, fmt.Errorf("read the columns of the model's SELECT: %w", err)
	}
	for i := range desc.Rows {
		b.Columns = append(b.Columns, warehouse.Column{Name: desc.String(i, 0), Type: desc.String(i, 1)})
	}
	if !in.FullRefresh {
		l := ledgerOf(n)
		res, err := queryLedger(ctx, wh, l, "SELECT batch, seq_from, seq_to FROM "+l.String()+" WHERE model = "+
			manifest.QuoteString(modelKey(n))+" AND kind = 'batch' ORDER BY batch DESC LIMIT 1")
		if err != nil {
			return nil, err
		}
		if len(res.Rows) == 1 {
			vals, err := parseUints(res, 0, 3)
			if err != nil {
				return nil, err
			}
			b.Committed, b.MarkFrom, b.LastSeq = vals[0], vals[1], vals[2]
			ok, err := tableExists(ctx, wh, suffixed(materialize.Target(n), versionsSuffix))
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("the ledger has batch %d but %s%s is missing; run with --full-refresh", b.Committed, n.Alias, versionsSuffix)
			}
		}
	}
	sl := ledgerOf(stg)
	res, err := queryLedger(ctx, wh, sl, "SELECT seq FROM "+sl.String()+" WHERE model = "+manifest.QuoteString(modelKey(stg))+
		" AND kind = 'file' AND seq > "+strconv.FormatUint(b.LastSeq, 10)+" ORDER BY seq")
	if err != nil {
		return nil, err
	}
	for i := range res.Rows {
		vals, err := parseUints(res, i, 1)
		if err != nil {
			return nil, err
		}
		b.Seqs = append(b.Seqs, vals[0])
	}
	return b, nil
}

func parseUints(res *warehouse.Result, row, n int) ([]uint64, error) {
	out := make([]uint64, n)
	for j := 0; j < n; j++ {
		v, err := strconv.ParseUint(res.String(row, j), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("ledger value %q: %w", res.String(row, j), err)
		}
		out[j] = v
	}
	return out, nil
}

// Plan implements materialize.Materialization.
func (SCD2) Plan(in materialize.Input) ([]materialize.Step, error) {
	if in.Node == nil {
		return nil, fmt.Errorf("materialize: no node")
	}
	steps, err := planSCD2(in)
	if err != nil {
		return nil, fmt.Errorf("materialize %s: %w", in.Node.UniqueID, err)
	}
	return steps, nil
}

// Report implements materialize.Reporter: batches applied, versions written, and late changes
// quarantined, which the runner shows so they are never silent.
func (SCD2) Report(ctx context.Context, wh warehouse.Warehouse, in materialize.Input) (string, error) {
	b, ok := in.Prepared.(*SCD2Batch)
	if !ok || b == nil || len(b.Seqs) == 0 {
		return "no new changes", nil
	}
	l := ledgerOf(in.Node)
	res, err := wh.Query(ctx, "SELECT count(), sum(loaded), sum(duplicates), sum(quarantined) FROM "+l.String()+
		" WHERE model = "+manifest.QuoteString(modelKey(in.Node))+" AND kind = 'batch' AND batch > "+strconv.FormatUint(b.Committed, 10))
	if err != nil {
		return "", fmt.Errorf("report %s: %w", in.Node.UniqueID, err)
	}
	msg := fmt.Sprintf("%s batches, %s new versions", res.String(0, 0), res.String(0, 1))
	if d := res.String(0, 2); d != "0" {
		msg += ", " + d + " re-deliveries ignored"
	}
	if q := res.String(0, 3); q != "0" {
		msg += ", " + q + " late changes quarantined"
	}
	return msg, nil
}
