package dtest

import (
	"context"
	"fmt"
	"sort"
	"strings"

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
	if len(names) == 0 {
		return full, nil, nil
	}
	key, err := r.scopeKey(n, full)
	if err != nil {
		return "", nil, err
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
		sc, err := r.scopeOn(ctx, wh, n, parent, cols, scope, "", key)
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

// scopeKey is what a singular test's passes are recorded under: its full SQL, then the compiled
// SQL of every model it reads. A test that reads a rebuilt model with ref checks that model's
// rows only where the batches it reads with batch_ref changed; once what the model compiles to
// changes (its SQL, or a macro or var it uses), its old rows may differ too, so the test starts
// over and checks the whole relations once, as it does when its own SQL changes. Seeds have no
// SQL and are not part of the key.
func (r *Runner) scopeKey(n *manifest.Node, full string) (string, error) {
	deps := append([]string(nil), n.DependsOn...)
	sort.Strings(deps)
	var b strings.Builder
	b.WriteString(full)
	for _, id := range deps {
		if r.s.Project.Templates[id] == nil {
			continue
		}
		b.WriteString("\n-- " + id + "\n")
		sql, err := r.s.Compiler.Node(id, compile.Options{})
		if err != nil {
			return "", fmt.Errorf("test %s: %w", n.Name, err)
		}
		b.WriteString(sql)
	}
	return b.String(), nil
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
