package session

import (
	"context"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// keyDrift warns when the table a model keeps from run to run (incremental, fact) was created
// with another engine or other keys than its config now gives: an edited order_by changes
// nothing in an existing table, and without a word the edit looks applied. dbt says nothing
// here; a ClickHouse user tuning sort keys needs to know. Texts are compared first; only when
// they differ does the engine parse both (EXPLAIN AST), so that a respelling (modulo(a, 4) for
// a % 4) is not reported. The check never fails a build: when the engine cannot parse an
// expression, the texts' difference stands.
func (s *Session) keyDrift(ctx context.Context, wh warehouse.Warehouse, n *manifest.Node, st materialize.State) []string {
	if st.Kind != materialize.Table {
		return nil
	}
	clauses, err := s.Registry.KeyClauses(n, wh.Capabilities())
	if err != nil || len(clauses) == 0 {
		return nil // the plan reports a config it cannot read
	}
	var out []string
	for _, c := range materialize.KeyDrift(materialize.WithHave(clauses, st)) {
		if c.Clause != materialize.ClauseEngine && sameAST(ctx, wh, materialize.NormKey(c.Want), materialize.NormKey(c.Have)) {
			continue
		}
		out = append(out, materialize.DriftWarning(c))
	}
	return out
}

// sameAST reports whether the engine parses expression lists a and b into the same tree; false
// when either is empty or does not parse.
func sameAST(ctx context.Context, wh warehouse.Warehouse, a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	tree := func(expr string) (string, error) {
		res, err := wh.Query(ctx, "EXPLAIN AST SELECT "+expr)
		if err != nil {
			return "", err
		}
		var lines []string
		for i := range res.Rows {
			lines = append(lines, res.String(i, 0))
		}
		return strings.Join(lines, "\n"), nil
	}
	ta, err := tree(a)
	if err != nil {
		return false
	}
	tb, err := tree(b)
	return err == nil && ta == tb
}
