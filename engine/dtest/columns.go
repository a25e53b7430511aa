package dtest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/tmpl"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// ErrRelationMissing means a tested relation does not exist in the warehouse yet.
var ErrRelationMissing = errors.New("relation does not exist")

// relationColumns returns a relation's columns and types in order, read from system.columns.
func relationColumns(ctx context.Context, wh warehouse.Warehouse, n *manifest.Node) ([]warehouse.Column, error) {
	res, err := wh.Query(ctx, fmt.Sprintf("SELECT name, type FROM system.columns WHERE database = %s AND table = %s ORDER BY position",
		manifest.QuoteString(n.Database), manifest.QuoteString(n.Alias)))
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", n.Relation(), err)
	}
	if len(res.Rows) == 0 {
		hint := ""
		if n.ResourceType == manifest.Model || n.ResourceType == manifest.Seed || n.ResourceType == manifest.Snapshot {
			hint = fmt.Sprintf(" (build it first: dwm build -s %s)", n.Name)
		}
		return nil, fmt.Errorf("%s %s: %w%s", n.Relation(), n.ResourceType, ErrRelationMissing, hint)
	}
	out := make([]warehouse.Column, len(res.Rows))
	for i := range res.Rows {
		out[i] = warehouse.Column{Name: res.String(i, 0), Type: res.String(i, 1)}
	}
	return out, nil
}

var plainIdentRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkColumns reports the first named column the relation lacks, with the declaring YAML file and
// a suggestion, instead of letting ClickHouse fail with a stack of its own. Expressions (anything
// that is not a plain identifier) are left for ClickHouse to judge.
func checkColumns(n *manifest.Node, cols []warehouse.Column, names []string, test *manifest.Node) error {
	have := map[string]bool{}
	all := make([]string, len(cols))
	for i, c := range cols {
		have[c.Name] = true
		all[i] = c.Name
	}
	for _, name := range names {
		if !plainIdentRe.MatchString(name) || have[name] {
			continue
		}
		hint := ""
		if s := tmpl.Near(name, all, 3); len(s) > 0 {
			hint = "; did you mean " + strings.Join(s, ", ") + "?"
		}
		return fmt.Errorf("%s: column %q is not a column of %s%s (columns: %s)",
			test.Path, name, n.Relation(), hint, strings.Join(all, ", "))
	}
	return nil
}
