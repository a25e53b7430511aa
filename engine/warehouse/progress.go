package warehouse

import "context"

// Progress is how far one running statement has got, as the target reports it while it runs:
// the embedded engine from system.processes, a server from its progress packets (native
// protocol only; HTTP reports counts once a statement ends). Counts are totals for the
// statement so far, not increments.
type Progress struct {
	// Statement tells a node's statements apart, so a consumer can add them up.
	Statement string
	ReadRows  uint64
	ReadBytes uint64
	// TotalRows is the engine's estimate of the rows the statement will read; 0 when unknown.
	TotalRows   uint64
	WrittenRows uint64
}

type progressKey struct{}

// WithProgress returns a context whose statements report their progress to fn while they run,
// on targets that can tell. fn may be called from other goroutines (the embedded engine about
// once a second per statement, a server as often as it sends progress packets), and never
// after the statement returned.
func WithProgress(ctx context.Context, fn func(Progress)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// ProgressFunc returns the function WithProgress put in ctx, or nil.
func ProgressFunc(ctx context.Context) func(Progress) {
	fn, _ := ctx.Value(progressKey{}).(func(Progress))
	return fn
}
