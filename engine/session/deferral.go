package session

import (
	"context"
	"fmt"
	"sort"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Defer points refs to the models and seeds this invocation does not build at the relations the
// --state manifest recorded for them, as dbt's --defer does: a CI database reads its unchanged
// parents from production's. Like dbt, a node whose relation already exists in the current
// target is read from there, unless favorState is set (dbt's --favor-state). It returns the IDs
// deferred, sorted.
func (s *Session) Defer(ctx context.Context, building []string, favorState bool) ([]string, error) {
	st := s.opts.State
	if st == nil {
		return nil, fmt.Errorf("--defer needs --state DIR (the target/ folder of the run to defer to)")
	}
	built := map[string]bool{}
	for _, id := range building {
		built[id] = true
	}
	deferred := map[string]string{}
	for _, id := range s.Project.Manifest.SortedIDs() {
		n := s.Node(id)
		if built[id] || (n.ResourceType != manifest.Model && n.ResourceType != manifest.Seed) || n.Config.Materialized == "ephemeral" {
			continue
		}
		if db, alias, ok := st.Relation(id); ok {
			deferred[id] = manifest.QuoteIdent(db) + "." + manifest.QuoteIdent(alias)
		}
	}
	if !favorState && len(deferred) > 0 {
		wh, err := s.Warehouse(ctx)
		if err != nil {
			return nil, err
		}
		have, err := existingRelations(ctx, wh)
		if err != nil {
			return nil, fmt.Errorf("--defer: %w", err)
		}
		for id := range deferred {
			if have[s.Node(id).Relation()] {
				delete(deferred, id)
			}
		}
	}
	s.Compiler.Deferred = deferred
	ids := make([]string, 0, len(deferred))
	for id := range deferred {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// existingRelations lists every table and view of the target as quoted `db`.`name`.
func existingRelations(ctx context.Context, wh warehouse.Warehouse) (map[string]bool, error) {
	res, err := wh.Query(ctx, "SELECT database, name FROM system.tables WHERE NOT is_temporary AND database NOT IN ('system', 'INFORMATION_SCHEMA', 'information_schema')")
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for i := range res.Rows {
		out[manifest.QuoteIdent(res.String(i, 0))+"."+manifest.QuoteIdent(res.String(i, 1))] = true
	}
	return out, nil
}
