package session

import (
	"context"
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/artifacts"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/pii"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// PII reads the project's personal-data tags (docs/gdpr.md).
func (s *Session) PII() (*pii.Tags, error) { return pii.Read(s.Project.Manifest) }

// Eraser returns what applies the erasure log on this session's warehouse; log, when set,
// receives every statement that changes data.
func (s *Session) Eraser(ctx context.Context, log *artifacts.SQLLog) (*pii.Eraser, error) {
	wh, err := s.Warehouse(ctx)
	if err != nil {
		return nil, err
	}
	tags, err := s.PII()
	if err != nil {
		return nil, err
	}
	e := &pii.Eraser{WH: wh, Manifest: s.Project.Manifest, Tags: tags, Rehash: s.Registry.Rehash}
	if log != nil {
		e.Exec = func(ctx context.Context, sql string) (warehouse.Stats, error) {
			log.Add(sql)
			return wh.Exec(ctx, sql)
		}
	}
	return e, nil
}

// eraseAfterBuild applies the erasure log to a model just built, before its tests run: its new
// rows of erased subjects lose their personal values, and a subject model's upstream deletions
// are logged and erased everywhere. It returns a note for the run line ("" when nothing changed).
func (s *Session) eraseAfterBuild(ctx context.Context, name string, log *artifacts.SQLLog) (string, error) {
	e, err := s.Eraser(ctx, log)
	if err != nil {
		return "", err
	}
	if _, subject := e.Tags.Subject(name); !subject && len(e.Tags.Columns[name]) == 0 {
		return "", nil
	}
	done, err := e.AfterBuild(ctx, name)
	if err != nil {
		return "", err
	}
	if len(done) == 0 {
		return "", nil
	}
	var rows uint64
	for _, d := range done {
		rows += d.Rows
	}
	return fmt.Sprintf(" (erasure: %d rows scrubbed in %d tables)", rows, len(done)), nil
}

// applyGrants runs a model's grants on a server target after it was built (dbt applies grants
// the same way). Tables are the relation and the tables dwm keeps beside it, which a view reads
// with the reader's rights; each grantee outside pii_readers gets SELECT on the untagged
// columns only. The embedded engine has no users to grant to, so nothing runs there.
func (s *Session) applyGrants(ctx context.Context, wh warehouse.Warehouse, n *manifest.Node, log *artifacts.SQLLog) error {
	caps := wh.Capabilities()
	if caps.Kind == "chdb" {
		return nil
	}
	tags, err := s.PII()
	if err != nil {
		return err
	}
	g, err := pii.ReadGrants(n, tags.Names(n.Name))
	if err != nil || g == nil {
		return err
	}
	g.OnClusterOf = caps.Cluster
	res, err := wh.Query(ctx, "SELECT table, groupArray(name) FROM (SELECT table, name FROM system.columns WHERE database = "+
		manifest.QuoteString(n.Database)+" AND (table = "+manifest.QuoteString(n.Alias)+" OR startsWith(table, "+
		manifest.QuoteString(n.Alias+"__")+")) ORDER BY table, position) GROUP BY table ORDER BY table != "+manifest.QuoteString(n.Alias)+", table")
	if err != nil {
		return fmt.Errorf("grants: columns of %s: %w", n.Name, err)
	}
	var tables []string
	cols := map[string][]string{}
	for i := range res.Rows {
		t := manifest.QuoteIdent(n.Database) + "." + manifest.QuoteIdent(res.String(i, 0))
		tables = append(tables, t)
		for _, c := range strings.Split(strings.Trim(res.String(i, 1), "[]"), ",") {
			cols[t] = append(cols[t], strings.Trim(c, "'"))
		}
	}
	stmts, err := g.GrantSQL(tables, cols)
	if err != nil {
		return err
	}
	for _, q := range stmts {
		log.Add(q)
		if _, err := wh.Exec(ctx, q); err != nil {
			return fmt.Errorf("grants: %w", err)
		}
	}
	return nil
}

// erasures are the erasure logs a build of n applies to its incoming rows: one per data subject,
// with n's personal-data columns (none when n has none).
func (s *Session) erasures(n *manifest.Node) ([]materialize.Erasure, error) {
	tags, err := s.PII()
	if err != nil {
		return nil, err
	}
	cols := tags.Names(n.Name)
	if len(cols) == 0 {
		return nil, nil
	}
	var out []materialize.Erasure
	for _, sub := range tags.Subjects {
		sn := s.Project.Manifest.ByName(sub.Model)
		if sn == nil {
			continue
		}
		log := pii.LogRelation(sn.Database)
		out = append(out, materialize.Erasure{Key: sub.Key, Columns: cols, Keys: pii.ErasedKeys(log, sub.Model), Setup: pii.LogDDL(log)})
	}
	return out, nil
}
