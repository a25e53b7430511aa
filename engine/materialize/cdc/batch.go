package cdc

import (
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
)

// loadSeq is the column numbering the file (or relation batch) each row of a staging or fact
// relation came from; it is also the partition key.
const loadSeq = "_load_seq"

// committedSeq is the highest _load_seq the ledger vouches for: files commit with kind 'file' and
// seq, relation batches with kind 'batch' and batch. Partitions above it are a killed run's.
func committedSeq(n *manifest.Node) string {
	l := ledgerOf(n)
	return "SELECT greatest(maxIf(seq, kind = 'file'), maxIf(batch, kind = 'batch')) FROM " + l.String() +
		" WHERE model = " + manifest.QuoteString(modelKey(n))
}

// Batch implements materialize.Batched.
func (Staging) Batch(n *manifest.Node) materialize.Batch {
	return materialize.Batch{Column: loadSeq, Committed: committedSeq(n)}
}

// Batch implements materialize.Batched: the load keeps unique_key unique across files, looking
// for earlier deliveries among rows that share dedupe_scope.
func (Fact) Batch(n *manifest.Node) materialize.Batch {
	return materialize.Batch{Column: loadSeq, Committed: committedSeq(n), Key: n.Config.UniqueKey,
		Scope: strings.TrimSpace(n.Config.String("dedupe_scope"))}
}

var (
	_ materialize.Batched = Staging{}
	_ materialize.Batched = Fact{}
)
