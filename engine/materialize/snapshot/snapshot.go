package snapshot

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Name is the `materialized` value of snapshot nodes.
const Name = "snapshot"

// Snapshot is the materialization of snapshots/*.sql (see the package comment and plan.go).
type Snapshot struct{}

var (
	_ materialize.Materialization = Snapshot{}
	_ materialize.Preparer        = Snapshot{}
	_ materialize.Reporter        = Snapshot{}
)

// Name implements materialize.Materialization.
func (Snapshot) Name() string { return Name }

// ConfigKeys implements materialize.Materialization.
func (Snapshot) ConfigKeys() []string {
	return []string{"strategy", "updated_at", "check_cols", "hard_deletes", "invalidate_hard_deletes"}
}

// Prepared is what Prepare read for a snapshot; it is Input.Prepared.
type Prepared struct {
	Config Config
	// Columns are the SELECT's output columns.
	Columns []warehouse.Column
	// TimeType is the type of valid_from and valid_to: updated_at's type for the timestamp
	// strategy, DateTime64(3) for check.
	TimeType string
	// Committed is the last committed run (0: none yet); this run is Committed+1.
	Committed uint64
	// Now is the run's time as the engine's toString(now64(3)): versions opened or closed by
	// this run without a source timestamp carry it.
	Now string
}

// Relations a snapshot keeps besides its view.
const (
	versionsSuffix = "__versions"
	closedSuffix   = "__closed"
	runsSuffix     = "__runs"
)

func suffixed(r materialize.Relation, s string) materialize.Relation {
	return materialize.Relation{Database: r.Database, Name: r.Name + s}
}

// Prepare implements materialize.Preparer.
func (Snapshot) Prepare(ctx context.Context, wh warehouse.Warehouse, in *materialize.Input, _ materialize.PrepareEnv) error {
	p, err := prepare(ctx, wh, in)
	if err != nil {
		return fmt.Errorf("snapshot %s: %w", in.Node.Name, err)
	}
	in.Prepared = p
	return nil
}

func prepare(ctx context.Context, wh warehouse.Warehouse, in *materialize.Input) (*Prepared, error) {
	cfg, err := ConfigOf(in.Node)
	if err != nil {
		return nil, err
	}
	if in.Caps.Cluster != "" {
		return nil, fmt.Errorf("snapshots are not supported on cluster targets yet")
	}
	if k := in.State.Kind; k == materialize.Table || k == materialize.Other {
		return nil, fmt.Errorf("%s exists as %s; a snapshot's relation is a view over its history tables, drop it by hand",
			materialize.Target(in.Node), in.State.Engine)
	}
	p := &Prepared{Config: cfg}
	desc, err := wh.Query(ctx, "DESCRIBE TABLE ("+strings.TrimRight(strings.TrimSpace(in.SQL), "; \t\r\n")+")")
	if err != nil {
		return nil, fmt.Errorf("read the columns of the snapshot's SELECT: %w", err)
	}
	for i := range desc.Rows {
		p.Columns = append(p.Columns, warehouse.Column{Name: desc.String(i, 0), Type: desc.String(i, 1)})
	}
	if p.TimeType, err = checkColumns(cfg, p.Columns); err != nil {
		return nil, err
	}
	target := materialize.Target(in.Node)
	stored, err := wh.Query(ctx, "SELECT name, type FROM system.columns WHERE database = "+manifest.QuoteString(target.Database)+
		" AND table = "+manifest.QuoteString(target.Name+versionsSuffix)+" ORDER BY position")
	if err != nil {
		return nil, err
	}
	if len(stored.Rows) > 0 {
		if err := sameColumns(p, stored); err != nil {
			return nil, err
		}
		runs := suffixed(target, runsSuffix)
		res, err := wh.Query(ctx, "SELECT max(run) FROM "+runs.String())
		if err != nil {
			return nil, fmt.Errorf("read the last committed run: %w", err)
		}
		if p.Committed, err = strconv.ParseUint(res.String(0, 0), 10, 64); err != nil {
			return nil, fmt.Errorf("last committed run %q: %w", res.String(0, 0), err)
		}
	}
	now, err := wh.Query(ctx, "SELECT toString(now64(3))")
	if err != nil {
		return nil, err
	}
	p.Now = now.String(0, 0)
	return p, nil
}

// checkColumns validates the SELECT's columns against the config and returns the time type.
func checkColumns(cfg Config, cols []warehouse.Column) (string, error) {
	types := map[string]string{}
	for _, c := range cols {
		if slices.Contains(reserved, c.Name) || strings.HasPrefix(c.Name, "_dwm_") {
			return "", fmt.Errorf("the SELECT returns column %s, which the snapshot adds itself (rename it)", c.Name)
		}
		types[c.Name] = c.Type
	}
	need := func(what string, names []string) error {
		for _, n := range names {
			if _, ok := types[n]; !ok {
				return fmt.Errorf("%s column %q is not returned by the SELECT (columns: %s)", what, n, names2(cols))
			}
		}
		return nil
	}
	if err := need("unique_key", cfg.Keys); err != nil {
		return "", err
	}
	if err := need("check_cols", cfg.CheckCols); err != nil {
		return "", err
	}
	if cfg.Strategy != StrategyTimestamp {
		return "DateTime64(3)", nil
	}
	if err := need("updated_at", []string{cfg.UpdatedAt}); err != nil {
		return "", err
	}
	t := types[cfg.UpdatedAt]
	if !strings.HasPrefix(t, "DateTime") {
		return "", fmt.Errorf("updated_at column %s is %s; it must be a DateTime or DateTime64 (not Nullable)", cfg.UpdatedAt, t)
	}
	return t, nil
}

// sameColumns refuses a SELECT whose columns differ from the stored history's: dwm does not
// migrate a snapshot's history.
func sameColumns(p *Prepared, stored *warehouse.Result) error {
	var have, want []string
	for i := range stored.Rows {
		name := stored.String(i, 0)
		if slices.Contains(reserved, name) {
			continue
		}
		have = append(have, name+" "+stored.String(i, 1))
	}
	for _, c := range p.Columns {
		want = append(want, c.Name+" "+c.Type)
	}
	if !slices.Equal(have, want) {
		return fmt.Errorf("the SELECT's columns (%s) differ from the stored history's (%s); dwm does not migrate snapshot history: "+
			"keep the columns, or drop the %s, %s and %s tables to start a new history",
			strings.Join(want, ", "), strings.Join(have, ", "), versionsSuffix, closedSuffix, runsSuffix)
	}
	return nil
}

func names2(cols []warehouse.Column) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return strings.Join(out, ", ")
}

// Report implements materialize.Reporter: what this run changed.
func (Snapshot) Report(ctx context.Context, wh warehouse.Warehouse, in materialize.Input) (string, error) {
	p, ok := in.Prepared.(*Prepared)
	if !ok || p == nil {
		return "", nil
	}
	target := materialize.Target(in.Node)
	run := strconv.FormatUint(p.Committed+1, 10)
	res, err := wh.Query(ctx, "SELECT (SELECT count() FROM "+suffixed(target, versionsSuffix).String()+" WHERE "+runCol+" = "+run+
		"), (SELECT count() FROM "+suffixed(target, closedSuffix).String()+" WHERE "+runCol+" = "+run+")")
	if err != nil {
		return "", fmt.Errorf("report %s: %w", in.Node.UniqueID, err)
	}
	return fmt.Sprintf("run %s: %s new versions, %s closed", run, res.String(0, 0), res.String(0, 1)), nil
}
