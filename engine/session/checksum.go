package session

import (
	"context"
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
)

// Checksum fingerprints a relation's contents: its row count and an order-independent hash of its
// rows. Unlike an XOR of row hashes, the wrapping sum still changes when a row is duplicated.
type Checksum struct {
	UniqueID string
	Relation string
	Rows     string
	Hash     string
	Columns  int
}

// Checksums fingerprints the relations of the given models and seeds, leaving out the named
// columns (load-time columns such as inserted_at differ between otherwise equal builds).
func (s *Session) Checksums(ctx context.Context, ids []string, ignore []string) ([]Checksum, error) {
	wh, err := s.Warehouse(ctx)
	if err != nil {
		return nil, err
	}
	skip := map[string]bool{}
	for _, c := range ignore {
		skip[c] = true
	}
	var out []Checksum
	for _, id := range ids {
		n := s.Node(id)
		if n.ResourceType != manifest.Model && n.ResourceType != manifest.Seed || n.Config.Materialized == "ephemeral" {
			continue
		}
		res, err := wh.Query(ctx, fmt.Sprintf("SELECT name FROM system.columns WHERE database = %s AND table = %s ORDER BY position",
			manifest.QuoteString(n.Database), manifest.QuoteString(n.Alias)))
		if err != nil {
			return nil, fmt.Errorf("checksum %s: %w", n.Name, err)
		}
		var cols []string
		for i := range res.Rows {
			if c := res.String(i, 0); !skip[c] {
				cols = append(cols, manifest.QuoteIdent(c))
			}
		}
		if len(cols) == 0 {
			return nil, fmt.Errorf("checksum %s: relation %s does not exist or has no columns left", n.Name, n.Relation())
		}
		// Hash each row's text form: cityHash64 of a Nullable argument is NULL, which would make
		// every table with a NULL anywhere hash to NULL and compare equal.
		q := fmt.Sprintf("SELECT count(), sum(cityHash64(toString(tuple(%s)))) FROM %s", strings.Join(cols, ", "), n.Relation())
		r, err := wh.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("checksum %s: %w", n.Name, err)
		}
		out = append(out, Checksum{UniqueID: id, Relation: n.Relation(), Rows: r.String(0, 0), Hash: r.String(0, 1), Columns: len(cols)})
	}
	return out, nil
}
