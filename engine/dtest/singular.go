package dtest

import (
	"context"
	"fmt"

	"github.com/dwmhq/dwm/engine/compile"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/tmpl"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// singularSQL is a singular test's query and the batch ranges it checks. Each relation the test
// reads with {{ batch_ref "name" }} is scoped on its own, as a generic test on it would be: the
// rows of the batches added since this test last passed on that table with this SQL (the full
// form's hash), or the whole relation when the test has not passed there yet, under --full and
// scope: full, or when the relation has no batches. Relations read with ref stay whole.
func (r *Runner) singularSQL(ctx context.Context, wh warehouse.Warehouse, n *manifest.Node) (string, []*batchScope, error) {
	scope, err := scopeOf(n)
	if err != nil {
		return "", nil, err
	}
	full, err := r.s.Compiler.Node(n.UniqueID, compile.Options{})
	if err != nil || r.opts.Full || scope == ScopeFull {
		return full, nil, err
	}
	names := batchRefs(r.s.Project.Templates[n.UniqueID])
	if len(names) == 0 && scope == ScopeBatch {
		return "", nil, fmt.Errorf("test %s: scope batch: the test reads no relation with batch_ref", n.Name)
	}
	var scopes []*batchScope
	batches := map[string]string{}
	for _, name := range names {
		parent := r.s.Project.Manifest.ByName(name)
		if parent == nil {
			return "", nil, fmt.Errorf("test %s: batch_ref %q: no model or seed of that name", n.Name, name)
		}
		cols, err := r.cache.columns(ctx, wh, parent)
		if err != nil {
			return "", nil, err
		}
		sc, err := r.scopeOn(ctx, wh, n, parent, cols, scope, "", full)
		if err != nil {
			return "", nil, err
		}
		if sc == nil {
			continue
		}
		scopes = append(scopes, sc)
		if sc.from > 0 {
			batches[parent.UniqueID] = sc.model("", nil, nil)
		}
	}
	if len(batches) == 0 {
		return full, scopes, nil
	}
	sql, err := r.s.Compiler.Node(n.UniqueID, compile.Options{Batches: batches})
	return sql, scopes, err
}

// batchRefs are the names a template reads with batch_ref, once each, in order.
func batchRefs(tp *tmpl.Template) []string {
	if tp == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, c := range tp.Static.Refs {
		if name := c.Args[0].(string); c.Func == "batch_ref" && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}
