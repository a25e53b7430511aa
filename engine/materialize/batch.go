package materialize

import "github.com/dwmhq/dwm/engine/manifest"

// Batch describes how a relation records the run (batch) that added each row, so that tests can
// check only the rows added since they last passed instead of the whole history.
type Batch struct {
	// Column holds, on every row, the batch that added it; every batch's value is above the
	// values of all earlier batches. Empty means the relation has no such column.
	Column string
	// Committed is a query returning one number: the highest batch the materialization has
	// committed. Rows above it may be a killed run's, which the next run replaces, so tests
	// leave them for later. Empty means every row in the relation is committed.
	Committed string
	// Key and Scope are what the materialization keeps unique across batches: no two rows share
	// Key, and rows that would are rows sharing Scope (a fact's unique_key and dedupe_scope).
	Key   []string
	Scope string
}

// Batched is implemented by materializations whose relations carry a batch column.
type Batched interface {
	Batch(n *manifest.Node) Batch
}

// Batch implements Batched: an incremental model names its batch column with `batch_column`.
func (IncrementalMaterialization) Batch(n *manifest.Node) Batch {
	return Batch{Column: n.Config.String("batch_column")}
}

var _ Batched = IncrementalMaterialization{}

// Batch returns the batch description of n's materialization; the zero Batch when it has none.
func (r *Registry) Batch(n *manifest.Node) Batch {
	m, ok := r.byName[n.Config.Materialized]
	if !ok {
		return Batch{}
	}
	b, ok := m.(Batched)
	if !ok {
		return Batch{}
	}
	return b.Batch(n)
}
