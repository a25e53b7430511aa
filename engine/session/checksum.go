package session

import (
	"context"
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/materialize/cdc"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Checksum fingerprints a relation's contents: its row count and an order-independent hash of its
// rows. Unlike an XOR of row hashes, the wrapping sum still changes when a row is duplicated.
type Checksum struct {
	UniqueID string // the model or seed; "" for a table a model owns (OwnedChecksums)
	Name     string // the model's or seed's name, or database.table for a table a model owns
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
	var out []Checksum
	for _, id := range ids {
		n := s.Node(id)
		if !buildsRelation(n) {
			continue
		}
		c, err := checksum(ctx, wh, materialize.Target(n), ignore)
		if err != nil {
			return nil, fmt.Errorf("checksum %s: %w", n.Name, err)
		}
		c.UniqueID, c.Name = id, n.Name
		out = append(out, c)
	}
	return out, nil
}

// OwnedChecksums fingerprints the tables dwm keeps beside the given models, in name order: the
// side tables of each (`<model>__quarantine`, `__versions`, `__current_parts`, any `<model>__*`),
// the ledger of their databases, and temporary tables an interrupted run left (`__dwm_tmp_<model>_*`;
// a completed run of the model drops them, so a comparison of two builds that lists one has
// found a leak). They are compared as whole tables: every row of every part, whatever the
// partitions, with the ignored columns left out (the ledger's loaded_at is a load-time column).
func (s *Session) OwnedChecksums(ctx context.Context, ids []string, ignore []string) ([]Checksum, error) {
	wh, err := s.Warehouse(ctx)
	if err != nil {
		return nil, err
	}
	rels, err := s.ownedRelations(ctx, wh, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Checksum, 0, len(rels))
	for _, r := range rels {
		c, err := checksum(ctx, wh, r, ignore)
		if err != nil {
			return nil, fmt.Errorf("checksum %s: %w", r, err)
		}
		c.Name = r.Database + "." + r.Name
		out = append(out, c)
	}
	return out, nil
}

// buildsRelation reports whether a node has a relation to fingerprint.
func buildsRelation(n *manifest.Node) bool {
	return (n.ResourceType == manifest.Model || n.ResourceType == manifest.Seed) && n.Config.Materialized != "ephemeral"
}

// ownedRelations lists the existing tables the given models own besides their own relation.
// A table that is some node's relation is never listed, even when its name looks owned.
func (s *Session) ownedRelations(ctx context.Context, wh warehouse.Warehouse, ids []string) ([]materialize.Relation, error) {
	nodes := map[string]bool{}
	for _, n := range s.Project.Manifest.Nodes {
		if buildsRelation(n) {
			nodes[n.Database+"."+n.Alias] = true
		}
	}
	prefixes := map[string][]ownedPrefix{} // database -> what the selected models' tables start with
	for _, id := range ids {
		n := s.Node(id)
		if !buildsRelation(n) {
			continue
		}
		tmp := materialize.TempRelation(materialize.Target(n), "").Name
		prefixes[n.Database] = append(prefixes[n.Database], ownedPrefix{n.Alias + "__", false}, ownedPrefix{tmp, true})
	}
	var out []materialize.Relation
	for _, db := range sortedKeys(boolSet(prefixes)) {
		res, err := wh.Query(ctx, "SELECT name FROM system.tables WHERE database = "+manifest.QuoteString(db)+" ORDER BY name")
		if err != nil {
			return nil, fmt.Errorf("list tables of %s: %w", db, err)
		}
		for i := range res.Rows {
			name := res.String(i, 0)
			if nodes[db+"."+name] || !ownedName(name, prefixes[db]) {
				continue
			}
			out = append(out, materialize.Relation{Database: db, Name: name})
		}
	}
	return out, nil
}

// ownedPrefix starts the names of a model's side tables (`users__versions`: the rest starts with
// a letter or digit, so `users___x` of a model `users_` is not users') or of its temporaries
// (`__dwm_tmp_users_<suffix>`: the rest is letters and digits only, as CleanupTemps matches them,
// so `__dwm_tmp_users_staging_<suffix>` is not users').
type ownedPrefix struct {
	prefix   string
	allAlnum bool
}

// ownedName reports whether a table name is the ledger or matches one of prefixes.
func ownedName(name string, prefixes []ownedPrefix) bool {
	if name == cdc.LedgerName {
		return true
	}
	for _, p := range prefixes {
		rest, ok := strings.CutPrefix(name, p.prefix)
		if !ok || rest == "" {
			continue
		}
		if p.allAlnum && isAlnum(rest) || !p.allAlnum && isAlnum(rest[:1]) {
			return true
		}
	}
	return false
}

func isAlnum(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func boolSet[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// checksum fingerprints one relation; its columns come from system.columns, in table order.
func checksum(ctx context.Context, wh warehouse.Warehouse, r materialize.Relation, ignore []string) (Checksum, error) {
	skip := map[string]bool{}
	for _, c := range ignore {
		skip[c] = true
	}
	res, err := wh.Query(ctx, fmt.Sprintf("SELECT name FROM system.columns WHERE database = %s AND table = %s ORDER BY position",
		manifest.QuoteString(r.Database), manifest.QuoteString(r.Name)))
	if err != nil {
		return Checksum{}, err
	}
	var cols []string
	for i := range res.Rows {
		if c := res.String(i, 0); !skip[c] {
			cols = append(cols, manifest.QuoteIdent(c))
		}
	}
	if len(cols) == 0 {
		return Checksum{}, fmt.Errorf("relation %s does not exist or has no columns left", r)
	}
	// Hash each row's text form: cityHash64 of a Nullable argument is NULL, which would make
	// every table with a NULL anywhere hash to NULL and compare equal. The text of a tuple quotes
	// strings, so NULL and the string 'NULL' differ.
	q := fmt.Sprintf("SELECT count(), sum(cityHash64(toString(tuple(%s)))) FROM %s", strings.Join(cols, ", "), r)
	row, err := wh.Query(ctx, q)
	if err != nil {
		return Checksum{}, err
	}
	return Checksum{Relation: r.String(), Rows: row.String(0, 0), Hash: row.String(0, 1), Columns: len(cols)}, nil
}
