package dtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dwmhq/dwm/engine/dtest/generic"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// TestedName is the table, in each tested model's database, that records up to which batch each
// batch-scoped test has passed (docs/tests.md, "Batch-scoped tests").
const TestedName = "dwm_tested"

// Test scopes, the `scope` config of a data test.
const (
	ScopeAuto  = ""      // batch when the test and its model allow it, else full
	ScopeBatch = "batch" // batch, or an error saying why it cannot be
	ScopeFull  = "full"  // always the whole relation
)

// batchScope is what a batch-scoped test checks: the rows of a batched relation whose batch is in
// (from, to], i.e. added since the test last passed on this table with this definition. from 0
// means the test has not passed yet, so it checks the whole relation.
type batchScope struct {
	batch    materialize.Batch
	rel      string // the tested relation, quoted
	from, to uint64
	tested   materialize.Relation // where the pass is recorded
	test     string               // the test's unique id
	def      string               // hash of the full-relation SQL: a changed test starts over
	uuid     string               // SQL giving the relation's table UUID: a rebuilt table starts over
	lastAt   string               // tested_at of the last pass ("" when none)
	at       string               // SQL of the tested_at a pass records
}

// scopeOf validates a test's scope config.
func scopeOf(n *manifest.Node) (string, error) {
	switch s := n.Config.String("scope"); s {
	case ScopeAuto, ScopeBatch, ScopeFull:
		return s, nil
	default:
		return "", fmt.Errorf("test %s: scope must be batch or full, not %q", n.Name, s)
	}
}

// newBatchScope decides whether generic test n runs batch-scoped and reads its range. It returns
// nil when the test checks the whole relation: --full, scope: full, a test kind whose result over
// new rows says nothing about the relation, or what scopeOn refuses.
func (r *Runner) newBatchScope(ctx context.Context, wh warehouse.Warehouse, n, parent *manifest.Node, cols []warehouse.Column,
	def *generic.Def, key []string, full string) (*batchScope, error) {
	scope, err := scopeOf(n)
	if err != nil {
		return nil, err
	}
	if r.opts.Full || scope == ScopeFull {
		return nil, nil
	}
	why := ""
	switch {
	case def == nil || def.Scope == generic.ScopeNone:
		why = "a " + n.Test.Name + " test always reads the whole relation"
	case def.Scope == generic.ScopeKey && !plainIdents(key):
		why = "its key is an expression, not columns"
	}
	return r.scopeOn(ctx, wh, n, parent, cols, scope, why, full)
}

// scopeOn reads the batch range test n (of config scope) checks on parent, whose whole-relation
// SQL is full. It returns nil, or for scope batch an error, when why is set or parent cannot be
// scoped: a model without a batch column, a cluster target, a deferred relation, or a relation
// the lookups cannot place (a table without a UUID). Lookup failures fall back to the full
// check, which is always correct.
func (r *Runner) scopeOn(ctx context.Context, wh warehouse.Warehouse, n, parent *manifest.Node, cols []warehouse.Column,
	scope, why, full string) (*batchScope, error) {
	b := r.s.Registry.Batch(parent)
	caps := wh.Capabilities()
	_, deferred := r.s.Compiler.Deferred[parent.UniqueID]
	switch {
	case why != "":
	case b.Column == "":
		why = parent.Name + " has no batch column (staging, fact, or incremental with batch_column)"
	case !hasCol(cols, b.Column):
		return nil, fmt.Errorf("test %s: batch column %q is not a column of %s", n.Name, b.Column, parent.Relation())
	case caps.Cluster != "" || caps.Replicated || caps.ReplicatedDatabase:
		why = "batch-scoped tests are not implemented on cluster targets"
	case deferred:
		why = parent.Name + " is read from a deferred relation (--defer)"
	}
	if why != "" {
		if scope == ScopeBatch {
			return nil, fmt.Errorf("test %s: scope batch: %s", n.Name, why)
		}
		return nil, nil
	}
	sum := sha256.Sum256([]byte(full))
	sc := &batchScope{batch: b, rel: parent.Relation(), test: n.UniqueID, def: hex.EncodeToString(sum[:]), at: "now()",
		tested: materialize.Relation{Database: parent.Database, Name: TestedName}}
	col := manifest.QuoteIdent(b.Column)
	committed := "(SELECT max(" + col + ") FROM " + sc.rel + ")"
	if b.Committed != "" {
		committed = "(" + b.Committed + ")"
	}
	// The UUID stays SQL in every statement, never a literal: a re-run of the same build (the
	// crash harness replays builds statement by statement) must issue the same statements.
	sc.uuid = "toString((SELECT uuid FROM system.tables WHERE database = " + manifest.QuoteString(parent.Database) +
		" AND name = " + manifest.QuoteString(parent.Alias) + "))"
	rng, err := r.cache.batchRange(ctx, wh, parent.UniqueID, "SELECT "+sc.uuid+", least((SELECT max("+col+") FROM "+sc.rel+"), "+committed+")")
	if err != nil {
		return nil, nil
	}
	sc.to = rng.to
	if err := r.ensureTested(ctx, wh, sc.tested); err != nil {
		return nil, nil
	}
	last, err := r.cache.lastPass(ctx, wh, sc.tested, passKey{test: sc.test, def: sc.def, uuid: rng.uuid})
	if err != nil {
		return nil, nil
	}
	if sc.from, sc.lastAt = last.batch, last.at; sc.from > sc.to {
		sc.from = 0
	}
	return sc, nil
}

// model is the relation a batch-scoped test reads in place of the whole one: the new rows (all a
// singular test's batch_ref reads, def nil), and,
// for a test comparing keys (unique), the earlier rows holding one of the new keys. When the key
// is the one the materialization keeps unique within dedupe scopes, only earlier rows sharing a
// new row's scope are looked at (the partition-pruned lookup the load itself does), instead of
// every earlier key.
func (sc *batchScope) model(where string, def *generic.Def, key []string) string {
	col := manifest.QuoteIdent(sc.batch.Column)
	filter := func(cond string) string {
		if where != "" {
			cond += " AND (" + where + ")"
		}
		return "SELECT * FROM " + sc.rel + " WHERE " + cond
	}
	added := filter(col + " > " + strconv.FormatUint(sc.from, 10) + " AND " + col + " <= " + strconv.FormatUint(sc.to, 10))
	if def == nil || def.Scope != generic.ScopeKey {
		return "(" + added + ")"
	}
	// Earlier rows holding a new key, matched on the hash the test groups the key by
	// (generic.KeyHash), which equal keys share: a set of integers is much cheaper to build and
	// probe than one of strings or tuples (a staging table's (_file, _row) at 200k users: 0.59 ->
	// 0.19 s), and the GROUP BY of the test still compares the keys themselves, so a hash
	// collision only lets an extra row through, never hides a duplicate. A combination's hash is
	// its tuple's, where NULL is a value as in the GROUP BY (a tuple IN never matches a NULL,
	// which once hid such duplicates).
	h := generic.KeyHash(def.Name, strings.Join(quoteAll(key), ", "))
	keys := "SELECT " + h + " FROM (" + added + ")"
	old := col + " <= " + strconv.FormatUint(sc.from, 10)
	if s := sc.batch.Scope; s != "" && sameColumns(key, sc.batch.Key) {
		// The load keeps the key unique among rows sharing the scope value, so only those
		// earlier rows can hold a new key; the scope is the partition-pruned part of the filter.
		// Likewise only the new rows in a scope that earlier rows hold can share a key with
		// one: the set is those few (late rows of last week's days), not every new key, which
		// each earlier row of those days probed at random (cdc's dupSteps does the same).
		s = manifest.QuoteIdent(s)
		scopes := "SELECT DISTINCT " + s + " FROM (" + added + ")"
		old += " AND " + s + " IN (" + scopes + ")"
		keys += " WHERE " + s + " IN (SELECT DISTINCT " + s + " FROM (" + filter(old) + "))"
	}
	return "(" + added + " UNION ALL " + filter(old+" AND "+h+" IN ("+keys+")") + ")"
}

// record notes that the test passed on every row up to sc.to, for Flush to write at the end of
// the run: one INSERT for all the run's passes, not one per test (a one-row INSERT makes a part,
// and a build of the leagues warehouse made some forty of them a week, 5% of a small build's
// statement time). Nothing in the run reads them: each test runs once per run, and the passes are
// read once per run before any is recorded (runCache.lastPass). A run killed before Flush only
// makes the next run check those rows again, as a failed write always did.
func (r *Runner) record(sc *batchScope) {
	if sc == nil || sc.to == 0 || sc.to == sc.from {
		return
	}
	row := "SELECT " + strings.Join([]string{manifest.QuoteString(sc.test), manifest.QuoteString(sc.rel), manifest.QuoteString(sc.def),
		sc.uuid, strconv.FormatUint(sc.to, 10), sc.at}, ", ")
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.passes == nil {
		r.passes = map[string][]string{}
	}
	t := sc.tested.String()
	r.passes[t] = append(r.passes[t], row)
}

// testedColumns are the columns of dwm_tested a pass or a start (piierased.go) writes.
const testedColumns = "test, model, definition, table_uuid, batch, tested_at"

// flushChunk bounds how many passes one INSERT writes (a UNION ALL of that many rows, each with
// its table's UUID as a subquery), so that a project with thousands of tests does not make one
// statement ClickHouse takes long to analyse.
const flushChunk = 200

// Flush writes the passes recorded during the run (session.RunOptions.Finish), in a fixed order
// (by tested table, then by row) so that a replayed run issues the same statements whatever order
// its tests finished in. A failure to write is ignored like a failed record: the next run checks
// those rows again.
func (r *Runner) Flush(ctx context.Context) {
	r.mu.Lock()
	passes := r.passes
	r.passes = nil
	r.mu.Unlock()
	if len(passes) == 0 {
		return
	}
	wh, err := r.s.Warehouse(ctx)
	if err != nil {
		return
	}
	for _, t := range slices.Sorted(maps.Keys(passes)) {
		rows := passes[t]
		slices.Sort(rows)
		for chunk := range slices.Chunk(rows, flushChunk) {
			_, _ = wh.Exec(ctx, "INSERT INTO "+t+" ("+testedColumns+") "+strings.Join(chunk, " UNION ALL "))
		}
	}
}

// ensureTested creates the record table once per database and run.
func (r *Runner) ensureTested(ctx context.Context, wh warehouse.Warehouse, t materialize.Relation) error {
	once, _ := r.tested.LoadOrStore(t.String(), sync.OnceValue(func() error {
		_, err := wh.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+t.String()+" (test String, model String, definition String, table_uuid String,"+
			" batch UInt64, tested_at DateTime) ENGINE = MergeTree ORDER BY (test, definition, table_uuid)")
		return err
	}))
	return once.(func() error)()
}

func plainIdents(names []string) bool {
	for _, k := range names {
		if !plainIdentRe.MatchString(strings.TrimSpace(k)) {
			return false
		}
	}
	return len(names) > 0
}

func hasCol(cols []warehouse.Column, name string) bool {
	for _, c := range cols {
		if c.Name == name {
			return true
		}
	}
	return false
}

func sameColumns(a, b []string) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for i := range a {
		if strings.TrimSpace(a[i]) != strings.TrimSpace(b[i]) {
			return false
		}
	}
	return true
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = manifest.QuoteIdent(strings.TrimSpace(n))
	}
	return out
}
