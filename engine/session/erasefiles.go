package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize/cdc"
	"github.com/dwmhq/dwm/engine/pii"
)

// RewrittenFile is a landed file erase --files rewrote.
type RewrittenFile struct {
	Path   string
	Rows   int
	SHA256 string
}

// EraseFiles rewrites the landed CSV files of the staging and fact models that hold personal data
// so that the subject's erased keys keep no personal value there either, and records each new
// checksum in the ledger: first a row of kind "erasure" (file, new sha256), then the file, then
// the file's own ledger row. A crash between these steps is finished by running it again: a file
// whose checksum differs from its ledger row is accepted only when an erasure row names exactly
// that checksum.
func (s *Session) EraseFiles(ctx context.Context, subject string) ([]RewrittenFile, error) {
	e, err := s.Eraser(ctx, nil)
	if err != nil {
		return nil, err
	}
	sub, ok := e.Tags.Subject(subject)
	sn := s.Project.Manifest.ByName(subject)
	if !ok || sn == nil {
		return nil, fmt.Errorf("erase --files: %s is not a data subject model", subject)
	}
	res, err := e.WH.Query(ctx, "SELECT key FROM "+pii.ErasedKeys(pii.LogRelation(sn.Database), sub.Model))
	if err != nil {
		return nil, fmt.Errorf("erase --files: erasure log: %w", err)
	}
	erased := map[string]bool{}
	for i := range res.Rows {
		erased[res.String(i, 0)] = true
	}
	var out []RewrittenFile
	for _, id := range s.Project.Manifest.SortedIDs() {
		n := s.Node(id)
		cols := e.Tags.Names(n.Name)
		if n.ResourceType != manifest.Model || len(cols) == 0 || (n.Config.Materialized != "staging" && n.Config.Materialized != "fact") {
			continue
		}
		done, err := s.eraseModelFiles(ctx, e, n, sub.Key, cols, erased)
		if err != nil {
			return out, fmt.Errorf("erase --files %s: %w", n.Name, err)
		}
		out = append(out, done...)
	}
	return out, nil
}

func (s *Session) eraseModelFiles(ctx context.Context, e *pii.Eraser, n *manifest.Node, key string, cols []string, erased map[string]bool) ([]RewrittenFile, error) {
	ledger := manifest.QuoteIdent(n.Database) + "." + manifest.QuoteIdent(cdc.LedgerName)
	model := manifest.QuoteString(n.Database + "." + n.Alias)
	res, err := e.WH.Query(ctx, "SELECT kind, file, sha256, seq FROM "+ledger+" WHERE model = "+model+
		" AND kind IN ('file', 'erasure') ORDER BY file, kind")
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	type entry struct {
		sha, seq string
		erasures map[string]bool
	}
	files := map[string]*entry{}
	var order []string
	for i := range res.Rows {
		f := res.String(i, 1)
		en := files[f]
		if en == nil {
			en = &entry{erasures: map[string]bool{}}
			files[f] = en
			order = append(order, f)
		}
		if res.String(i, 0) == "file" {
			en.sha, en.seq = res.String(i, 2), res.String(i, 3)
		} else {
			en.erasures[res.String(i, 2)] = true
		}
	}
	delim := ','
	if d := n.Config.Delimiter; d != "" {
		delim = []rune(d)[0]
	}
	var out []RewrittenFile
	for _, f := range order {
		en := files[f]
		if en.sha == "" {
			continue
		}
		if strings.Contains(f, "://") {
			continue // objects in a store are not rewritten (docs/gdpr.md)
		}
		path := f
		if !filepath.IsAbs(path) {
			path = filepath.Join(s.Dir, f)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return out, err
		}
		cur := pii.SHA256(data)
		if cur != en.sha && !en.erasures[cur] {
			return out, fmt.Errorf("%s changed since it was loaded (sha256 %s, ledger %s) and not by an erasure; restore it first", f, cur, en.sha)
		}
		scrubbed, rows, err := pii.ScrubCSV(f, data, delim, key, cols, erased)
		if err != nil {
			return out, err
		}
		next := cur
		if rows > 0 {
			next = pii.SHA256(scrubbed)
			if _, err := e.WH.Exec(ctx, "INSERT INTO "+ledger+" (model, kind, file, sha256, seq, loaded_at) SELECT "+model+
				", 'erasure', "+manifest.QuoteString(f)+", "+manifest.QuoteString(next)+", "+en.seq+", now()"); err != nil {
				return out, fmt.Errorf("ledger: %w", err)
			}
			if err := pii.ReplaceFile(path, scrubbed); err != nil {
				return out, err
			}
		}
		if next != en.sha {
			if _, err := e.WH.Exec(ctx, "ALTER TABLE "+ledger+" UPDATE sha256 = "+manifest.QuoteString(next)+" WHERE model = "+model+
				" AND kind = 'file' AND file = "+manifest.QuoteString(f)+" SETTINGS mutations_sync = 2"); err != nil {
				return out, fmt.Errorf("ledger: %w", err)
			}
			out = append(out, RewrittenFile{Path: f, Rows: rows, SHA256: next})
		}
	}
	return out, nil
}
