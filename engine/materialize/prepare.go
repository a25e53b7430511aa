package materialize

import (
	"context"
	"fmt"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/objstore"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// PrepareEnv is what a Preparer may look at besides the warehouse: the project on disk and the
// other nodes of the manifest.
type PrepareEnv struct {
	// Dir is the absolute project directory; relative file patterns are resolved against it.
	Dir string
	// Vars are the project vars after --vars overrides.
	Vars map[string]any
	// Ref finds a model or seed by name, as {{ ref }} does; nil when nothing can be referenced.
	Ref func(name string) *manifest.Node
	// ObjectStore returns the target's object storage, for s3:// files; its error names what
	// is missing (an environment variable, a project.yml key). Nil means none is configured.
	ObjectStore func() (*objstore.Store, error)
	// Cache is a directory for what may be recomputed at any time (the hashes of loaded files,
	// cdc's stamp.go); empty means no cache.
	Cache string
	// Now is the clock that decides whether a local file is old enough for its stat stamp to
	// vouch for its contents (cdc's stamp.go); nil means time.Now.
	Now func() time.Time
	// Flights shares work still running between a Prefetch and a Prepare of one session; nil
	// shares nothing.
	Flights *Flights
}

// Preparer is implemented by materializations whose plan depends on facts outside the target
// relation's State: files on disk, ledger rows, committed batch numbers. Prepare reads them and
// stores them in in.Prepared, so that Plan stays a pure function of its Input. The runner calls
// Prepare after Inspect and before Plan; golden tests build Input.Prepared by hand.
type Preparer interface {
	Prepare(ctx context.Context, wh warehouse.Warehouse, in *Input, env PrepareEnv) error
}

// Reporter is implemented by materializations with more to say after a successful run than the
// rows written (files loaded, rows quarantined, late changes): the runner shows the message.
type Reporter interface {
	Report(ctx context.Context, wh warehouse.Warehouse, in Input) (string, error)
}

// Prepare calls the Preparer of in.Node's materialization, if it has one.
func (r *Registry) Prepare(ctx context.Context, wh warehouse.Warehouse, in *Input, env PrepareEnv) error {
	m, err := r.forNode(in.Node)
	if err != nil {
		return err
	}
	if p, ok := m.(Preparer); ok {
		return p.Prepare(ctx, wh, in, env)
	}
	return nil
}

// Report asks in.Node's materialization for its run message; ok is false when it has none.
func (r *Registry) Report(ctx context.Context, wh warehouse.Warehouse, in Input) (msg string, ok bool, err error) {
	m, err := r.forNode(in.Node)
	if err != nil {
		return "", false, err
	}
	rep, isRep := m.(Reporter)
	if !isRep {
		return "", false, nil
	}
	msg, err = rep.Report(ctx, wh, in)
	return msg, err == nil, err
}

func (r *Registry) forNode(n *manifest.Node) (Materialization, error) {
	if n == nil {
		return nil, fmt.Errorf("materialize: no node")
	}
	m, ok := r.Lookup(n.Config.Materialized)
	if !ok {
		return nil, fmt.Errorf("materialize %s: unknown materialization %q (known: %v)", n.UniqueID, n.Config.Materialized, r.Names())
	}
	return m, nil
}
