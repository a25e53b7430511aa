package pii

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
)

// Grants is a model's `grants:` config as dbt writes it (privilege -> grantees), plus
// `pii_readers`, the grantees that may read its personal-data columns.
type Grants struct {
	Privileges  map[string][]string
	PIIReaders  []string
	PIIColumns  []string
	OnClusterOf string // the cluster for ON CLUSTER, empty on one node
}

// ReadGrants decodes the grants and pii_readers configs of a node (nil when it has no grants).
func ReadGrants(n *manifest.Node, piiCols []string) (*Grants, error) {
	raw, ok := n.Config.Raw["grants"]
	if !ok || raw == nil {
		return nil, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("model %s: grants must map a privilege to grantees, e.g. {select: [analyst]}", n.Name)
	}
	g := &Grants{Privileges: map[string][]string{}, PIIColumns: piiCols}
	for priv, v := range m {
		names, err := nameList(v)
		if err != nil {
			return nil, fmt.Errorf("model %s: grants.%s: %w", n.Name, priv, err)
		}
		g.Privileges[strings.ToLower(priv)] = names
	}
	if v, ok := n.Config.Raw["pii_readers"]; ok && v != nil {
		names, err := nameList(v)
		if err != nil {
			return nil, fmt.Errorf("model %s: pii_readers: %w", n.Name, err)
		}
		g.PIIReaders = names
	}
	return g, nil
}

func nameList(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		var out []string
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("grantee %v is not a name", x)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("grantees must be a name or a list of names")
}

// privilegeWord maps dbt's lower-case privilege names to ClickHouse's.
var privilegeWord = map[string]string{"select": "SELECT", "insert": "INSERT", "alter": "ALTER", "show": "SHOW",
	"truncate": "TRUNCATE", "optimize": "OPTIMIZE", "drop": "DROP"}

// GrantSQL returns the GRANT statements for the tables of a model: tables maps each (quoted
// db.name) to its columns, the relation first. SELECT goes whole to the grantees listed in
// pii_readers; every other SELECT grantee gets only the columns that are not personal data
// (ClickHouse's column-level GRANT SELECT(a, b)), so `SELECT *` or naming a tagged column is
// refused with ACCESS_DENIED. Other privileges are granted as written. Grants are added, never
// revoked (dbt revokes grants that left the config; dwm does not yet).
func (g *Grants) GrantSQL(tables []string, columns map[string][]string) ([]string, error) {
	readers := map[string]bool{}
	for _, r := range g.PIIReaders {
		readers[r] = true
	}
	pii := map[string]bool{}
	for _, c := range g.PIIColumns {
		pii[c] = true
	}
	on := ""
	if g.OnClusterOf != "" {
		on = " ON CLUSTER " + manifest.QuoteIdent(g.OnClusterOf)
	}
	var privs []string
	for p := range g.Privileges {
		privs = append(privs, p)
	}
	sort.Strings(privs)
	var out []string
	for _, p := range privs {
		word, ok := privilegeWord[p]
		if !ok {
			return nil, fmt.Errorf("grants: unknown privilege %q (known: select, insert, alter, show, truncate, optimize, drop)", p)
		}
		for _, grantee := range g.Privileges[p] {
			to := manifest.QuoteIdent(grantee)
			for _, t := range tables {
				if p != "select" || readers[grantee] || len(g.PIIColumns) == 0 {
					out = append(out, "GRANT"+on+" "+word+" ON "+t+" TO "+to)
					continue
				}
				var open []string
				for _, c := range columns[t] {
					if !pii[c] {
						open = append(open, manifest.QuoteIdent(c))
					}
				}
				if len(open) == 0 {
					continue
				}
				out = append(out, "GRANT"+on+" SELECT("+strings.Join(open, ", ")+") ON "+t+" TO "+to)
			}
		}
	}
	return out, nil
}
