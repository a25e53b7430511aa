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

// SCD2 keeps the versioned history of the rows of a CDC input: a staging model (each staging file
// is one batch) or any relation a CDC tool appends to (each run's cursor range is one batch). A
// batch is committed atomically by its ledger row; the model's relation is a view that shows only
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
	return []string{"cdc_timestamp", "updated_at", "op", "source_system", "staging", "cdc_format", "cursor"}
}

// SCD2Batch is what Prepare found for an scd2 model; it is Input.Prepared. Exactly one of
// Staging and Cursor is set.
type SCD2Batch struct {
	// Columns are the model SELECT's output columns.
	Columns []warehouse.Column
	// Format is the CDC format of the input (dwm, peerdb or debezium).
	Format string
	// SourceSystem fills the source_system column.
	SourceSystem string
	// Committed is the last committed batch (0: none, a full refresh or a rebuild).
	Committed uint64
	// Rebuild, when not empty, says why the history no longer matches its input (a staging file it
	// was built from was reloaded with other contents, or rows below the cursor mark vanished): the
	// plan then rebuilds the model from scratch, as --full-refresh does.
	Rebuild string
	// Staging is set when the input is a dwm staging model.
	Staging *StagingBatches
	// Cursor is set when the input is any other relation.
	Cursor *CursorBatch
}

// StagingBatches are the staging files an scd2 model applies, one batch each.
type StagingBatches struct {
	// Relation is the staging model's relation; its rows get processed = true once consumed.
	Relation materialize.Relation
	// LastSeq is the staging _load_seq consumed up to before this run.
	LastSeq uint64
	// Files are the staging files to apply now, in order.
	Files []StagedFile
}

// StagedFile is one file of the staging ledger, as a batch records it.
type StagedFile struct {
	Seq          uint64
	Path, SHA256 string
}

// scd2Config is the model's scd2 configuration with defaults applied.
type scd2Config struct {
	keys    []string
	ts, op  string
	staging string
	cursor  string
}

func configOf(n *manifest.Node) (scd2Config, error) {
	c := scd2Config{ts: "cdc_timestamp", op: n.Config.String("op"), staging: n.Config.String("staging"), cursor: n.Config.String("cursor")}
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
	return c, nil
}

// stagingInput is the staging model an scd2 model consumes file by file, or nil when its input
// is a relation read by cursor: config staging names it; otherwise it is the one model the SELECT
// refs when that model is materialized staging and no cursor or other format is configured.
func stagingInput(n *manifest.Node, cfg scd2Config, env materialize.PrepareEnv) (*manifest.Node, error) {
	find := func(name string) *manifest.Node {
		if env.Ref == nil {
			return nil
		}
		return env.Ref(name)
	}
	if cfg.staging != "" {
		stg := find(cfg.staging)
		if stg == nil {
			return nil, fmt.Errorf("staging model %q not found", cfg.staging)
		}
		return stg, nil
	}
	if f := n.Config.String("cdc_format"); cfg.cursor != "" || (f != "" && f != formatDwm) || len(n.Refs) != 1 {
		return nil, nil
	}
	if stg := find(n.Refs[0]); stg != nil && stg.Config.Materialized == "staging" {
		return stg, nil
	}
	return nil, nil
}

// Prepare implements materialize.Preparer: the SELECT's columns, the last committed batch and
// the batches to apply (staging files committed since, or the relation's new cursor range).
func (SCD2) Prepare(ctx context.Context, wh warehouse.Warehouse, in *materialize.Input, env materialize.PrepareEnv) error {
	if err := refuseSharded(in.Node, in.Caps); err != nil {
		return err
	}
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
	stg, err := stagingInput(n, cfg, env)
	if err != nil {
		return nil, err
	}
	b := &SCD2Batch{Format: formatDwm}
	desc, err := wh.Query(ctx, "DESCRIBE TABLE ("+trimSQL(in.SQL)+")")
	if err != nil {
		return nil, fmt.Errorf("read the columns of the model's SELECT: %w", err)
	}
	for i := range desc.Rows {
		b.Columns = append(b.Columns, warehouse.Column{Name: desc.String(i, 0), Type: desc.String(i, 1)})
	}
	b.SourceSystem = n.Config.String("source_system")
	if stg != nil {
		if b.SourceSystem == "" {
			b.SourceSystem = stg.Name
		}
		if err := prepareStagingBatches(ctx, wh, n, stg, b, in.FullRefresh, in.Caps); err != nil {
			return nil, err
		}
	} else {
		f, err := formatOf(n, b.Columns)
		if err != nil {
			return nil, err
		}
		b.Format = f.name
		if b.SourceSystem == "" {
			b.SourceSystem = inputName(n)
		}
		if cfg.cursor == "" {
			cfg.cursor = f.cursor
		}
		if cfg.cursor == "" {
			return nil, fmt.Errorf("scd2 from a relation needs config cursor: the column that grows with every delivery (or select from a staging model)")
		}
		if err := prepareCursorBatch(ctx, wh, in, cfg.cursor, b); err != nil {
			return nil, err
		}
	}
	if b.Committed > 0 {
		ok, err := tableExists(ctx, wh, suffixed(materialize.Target(n), versionsSuffix))
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("the ledger has batch %d but %s%s is missing; run with --full-refresh", b.Committed, n.Alias, versionsSuffix)
		}
	}
	return b, nil
}

// inputName names a relation input for source_system: the source table or model it reads.
func inputName(n *manifest.Node) string {
	switch {
	case len(n.Sources) > 0:
		return n.Sources[0].Source + "." + n.Sources[0].Table
	case len(n.Refs) > 0:
		return n.Refs[0]
	}
	return n.Name
}

// prepareCursorBatch reads the committed batch and mark and this run's cursor range.
func prepareCursorBatch(ctx context.Context, wh warehouse.Warehouse, in *materialize.Input, cursor string, b *SCD2Batch) error {
	var mark cursorMark
	if !in.FullRefresh {
		var err error
		if mark, err = readCursorMark(ctx, wh, in.Node, kindBatch); err != nil {
			return err
		}
	}
	if mark.batch > 0 && mark.to == "" {
		return fmt.Errorf("the committed batches were not read by a cursor (did the input change from a staging model?); run with --full-refresh")
	}
	c, rebuild, err := prepareCursor(ctx, wh, in.SQL, b.Columns, cursor, mark)
	if err != nil {
		return err
	}
	b.Cursor, b.Rebuild = c, rebuild
	if rebuild == "" {
		b.Committed = mark.batch
	}
	return nil
}

// prepareStagingBatches compares what the model's batches consumed with the staging ledger and
// lists the staging files to apply. Every batch records the staging file (path and checksum) it
// consumed (an object by ETag and size); when the staging ledger no longer holds that file with that checksum at that _load_seq
// (a --full-refresh of staging after a file was corrected, killed or not, or a staging model
// refreshed on its own), the history was built from input that is gone, and it is rebuilt.
func prepareStagingBatches(ctx context.Context, wh warehouse.Warehouse, n, stg *manifest.Node, b *SCD2Batch, full bool, caps warehouse.Capabilities) error {
	sl := ledgerOf(stg)
	if err := upgradeLedger(ctx, wh, sl, caps); err != nil {
		return err
	}
	// A local file's fingerprint is its sha256; an object's, which has none, its ETag and size.
	res, err := queryLedger(ctx, wh, sl, "SELECT seq, file, if(sha256 != '', sha256, concat('etag ', etag, ' size ', toString(size))) FROM "+
		sl.String()+" WHERE model = "+manifest.QuoteString(modelKey(stg))+" AND kind = 'file' ORDER BY seq")
	if err != nil {
		return err
	}
	staged := map[uint64]StagedFile{}
	var files []StagedFile
	for i := range res.Rows {
		seq, err := strconv.ParseUint(res.String(i, 0), 10, 64)
		if err != nil {
			return fmt.Errorf("ledger seq %q: %w", res.String(i, 0), err)
		}
		f := StagedFile{Seq: seq, Path: res.String(i, 1), SHA256: res.String(i, 2)}
		staged[seq] = f
		files = append(files, f)
	}
	st := &StagingBatches{Relation: materialize.Target(stg)}
	b.Staging = st
	if !full {
		l := ledgerOf(n)
		res, err := queryLedger(ctx, wh, l, "SELECT batch, seq_to, file, sha256 FROM "+l.String()+" WHERE model = "+
			manifest.QuoteString(modelKey(n))+" AND kind = 'batch' ORDER BY batch")
		if err != nil {
			return err
		}
		for i := range res.Rows {
			vals, err := parseUints(res, i, 2)
			if err != nil {
				return err
			}
			if i > 0 && vals[0] == b.Committed && b.Rebuild == "" {
				// Old rows a delete had removed, back after a kill (see ledgerDisagrees).
				b.Rebuild = fmt.Sprintf("the ledger lists batch %d twice", vals[0])
			}
			b.Committed, st.LastSeq = vals[0], vals[1]
			if st.LastSeq == 0 {
				return fmt.Errorf("batch %d was not read from a staging file (did the input change from a relation?); run with --full-refresh", b.Committed)
			}
			path, sha := res.String(i, 2), res.String(i, 3)
			if sha == "" || b.Rebuild != "" {
				continue // batches committed before batches recorded their file cannot be checked
			}
			if f, ok := staged[st.LastSeq]; !ok {
				b.Rebuild = fmt.Sprintf("batch %d consumed %s (_load_seq %d), which %s no longer holds", b.Committed, path, st.LastSeq, stg.Name)
			} else if f.Path != path || f.SHA256 != sha {
				b.Rebuild = fmt.Sprintf("batch %d consumed %s (_load_seq %d, fingerprint %s); %s now holds %s (fingerprint %s) there",
					b.Committed, path, st.LastSeq, short(sha), stg.Name, f.Path, short(f.SHA256))
			}
		}
		if b.Rebuild != "" {
			b.Committed, st.LastSeq = 0, 0
		}
	}
	for _, f := range files {
		if f.Seq > st.LastSeq {
			st.Files = append(st.Files, f)
		}
	}
	return nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
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
	if err := refuseSharded(in.Node, in.Caps); err != nil {
		return nil, err
	}
	steps, err := planSCD2(in)
	if err != nil {
		return nil, fmt.Errorf("materialize %s: %w", in.Node.UniqueID, err)
	}
	return steps, nil
}

// Report implements materialize.Reporter: batches applied, versions written, and what was not
// applied (re-deliveries, same-instant changes overtaken, late changes quarantined), which the
// runner shows so it is never silent.
func (SCD2) Report(ctx context.Context, wh warehouse.Warehouse, in materialize.Input) (string, error) {
	b, ok := in.Prepared.(*SCD2Batch)
	if !ok || b == nil || b.empty() {
		return "no new changes", nil
	}
	l := ledgerOf(in.Node)
	res, err := wh.Query(ctx, "SELECT count(), sum(loaded), sum(duplicates), sum(superseded), sum(quarantined) FROM "+l.String()+
		" WHERE model = "+manifest.QuoteString(modelKey(in.Node))+" AND kind = 'batch' AND batch > "+strconv.FormatUint(b.Committed, 10))
	if err != nil {
		return "", fmt.Errorf("report %s: %w", in.Node.UniqueID, err)
	}
	return runMessage(b.Rebuild, res, "batches", "new versions", "re-deliveries ignored", "same-instant changes overtaken", "changes quarantined"), nil
}

// runMessage words a report from a one-row result of counts with their labels; the first two
// counts always show, the others only when not zero. A rebuild says why first.
func runMessage(rebuild string, res *warehouse.Result, labels ...string) string {
	msg := res.String(0, 0) + " " + labels[0] + ", " + res.String(0, 1) + " " + labels[1]
	for i := 2; i < len(labels); i++ {
		if v := res.String(0, i); v != "0" {
			msg += ", " + v + " " + labels[i]
		}
	}
	if rebuild != "" {
		msg = "rebuilt from scratch because " + rebuild + ": " + msg
	}
	return msg
}

// empty reports a run that applies no batch.
func (b *SCD2Batch) empty() bool {
	if b.Staging != nil {
		return len(b.Staging.Files) == 0 && b.Rebuild == ""
	}
	return b.Cursor == nil || b.Cursor.Empty() && b.Rebuild == ""
}
