package materialize

import (
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/chsql"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Key clauses a KeyClause names.
const (
	ClauseEngine      = "ENGINE"
	ClauseOrderBy     = "ORDER BY"
	ClausePartitionBy = "PARTITION BY"
	ClausePrimaryKey  = "PRIMARY KEY"
)

// KeyClause is one clause of the CREATE TABLE a materialization would write for a model now, and
// the existing table's counterpart.
type KeyClause struct {
	Clause string // ClauseOrderBy, ...
	Config string // the config key it comes from ("order_by")
	Want   string // what the config gives: a key expression ("" for none), or an engine's name
	Have   string // the existing table's, as system.tables prints it
}

// Keyed is implemented by materializations that keep their relation's table from run to run and
// create it with keys taken from the model's config. Changing such a config changes nothing in
// an existing table (ClickHouse cannot re-sort or re-partition one in place), so dwm tells the
// user rather than leaving the edit silently without effect (KeyDrift).
type Keyed interface {
	// KeyClauses are the clauses worth comparing with the existing table, Have left empty;
	// none where the table is not the relation itself (a Distributed table over shards).
	KeyClauses(n *manifest.Node, caps warehouse.Capabilities) ([]KeyClause, error)
}

// KeyClauses returns n's materialization's KeyClauses; none when it keeps no table across runs.
func (r *Registry) KeyClauses(n *manifest.Node, caps warehouse.Capabilities) ([]KeyClause, error) {
	m, ok := r.byName[n.Config.Materialized]
	if !ok {
		return nil, nil
	}
	k, ok := m.(Keyed)
	if !ok {
		return nil, nil
	}
	return k.KeyClauses(n, caps)
}

// KeyClauses implements Keyed: an incremental model's table has the config's engine and keys
// (TableClause), and keeps them until a full refresh rebuilds it.
func (IncrementalMaterialization) KeyClauses(n *manifest.Node, caps warehouse.Capabilities) ([]KeyClause, error) {
	if caps.Cluster != "" {
		return nil, nil // the relation is a Distributed table; its shards' tables hold the keys
	}
	cfg := n.Config
	engine, err := EngineFor(cfg.Engine, caps)
	if err != nil {
		return nil, err
	}
	if engine == "" {
		engine = "MergeTree"
	}
	out := []KeyClause{{Clause: ClauseEngine, Config: "engine", Want: engineName(engine)}}
	if !strings.Contains(engine, "MergeTree") {
		return out, nil
	}
	order, err := OrderByExpr(cfg)
	if err != nil {
		return nil, err
	}
	if order == "" {
		order = "tuple()"
	}
	part, err := PartitionExpr(cfg)
	if err != nil {
		return nil, err
	}
	out = append(out, KeyClause{Clause: ClauseOrderBy, Config: "order_by", Want: order},
		KeyClause{Clause: ClausePartitionBy, Config: "partition_by", Want: part})
	// Without primary_key the primary key is the sorting key, whose change is told once.
	if pk, err := keyExpr(cfg, "primary_key", cfg.PrimaryKey); err != nil {
		return nil, err
	} else if pk != "" {
		out = append(out, KeyClause{Clause: ClausePrimaryKey, Config: "primary_key", Want: pk})
	}
	return out, nil
}

var _ Keyed = IncrementalMaterialization{}

// engineName is an ENGINE clause's engine name, without its arguments.
func engineName(engine string) string {
	name, _, _ := strings.Cut(strings.TrimSpace(engine), "(")
	return strings.TrimSpace(name)
}

// engineFamily leaves out what a server makes of an engine by itself: a replicated target's
// Replicated, ClickHouse Cloud's Shared (MergeTree there is created as SharedMergeTree).
func engineFamily(name string) string {
	return strings.TrimPrefix(strings.TrimPrefix(name, "Shared"), "Replicated")
}

// WithHave fills each clause's Have from the existing table: its engine and printed keys.
func WithHave(clauses []KeyClause, st State) []KeyClause {
	out := make([]KeyClause, len(clauses))
	for i, c := range clauses {
		switch c.Clause {
		case ClauseEngine:
			c.Have = st.Engine
		case ClauseOrderBy:
			c.Have = st.Keys.SortingKey
		case ClausePartitionBy:
			c.Have = st.Keys.PartitionKey
		case ClausePrimaryKey:
			c.Have = st.Keys.PrimaryKey
		}
		out[i] = c
	}
	return out
}

// KeyDrift returns the clauses whose Want differs from Have as text: engines by name, keys once
// both are in NormKey's form. A difference of spelling NormKey does not see (a%4 against
// modulo(a, 4)) is left for the engine to judge (session's check formats both).
func KeyDrift(clauses []KeyClause) []KeyClause {
	var out []KeyClause
	for _, c := range clauses {
		same := NormKey(c.Want) == NormKey(c.Have)
		if c.Clause == ClauseEngine {
			same = engineFamily(c.Want) == engineFamily(c.Have)
		}
		if !same {
			out = append(out, c)
		}
	}
	return out
}

// DriftWarning is what a build tells about a clause KeyDrift found.
func DriftWarning(c KeyClause) string {
	have := c.Have
	if have == "" {
		have = "none"
	}
	want := c.Want
	if want == "" {
		want = "none"
	}
	keeps := map[string]string{ClauseEngine: "engine", ClauseOrderBy: "sort order", ClausePartitionBy: "partitions",
		ClausePrimaryKey: "primary key"}[c.Clause]
	return fmt.Sprintf("%s %s is not the existing table's %s (%s): the table keeps its %s until --full-refresh rebuilds it",
		c.Config, want, c.Clause, have, keeps)
}

// NormKey is a key expression in a form two spellings of the same key share, so that a config
// compares with what system.tables prints: tokens as ClickHouse lexes them (chsql) without
// spaces or comments, plain identifiers unquoted, no parentheses around the whole (ORDER BY (a,
// b) is printed "a, b"), and no key at all (tuple()) as "". Text the lexer cannot read is kept
// as it is (it then differs, and the engine judges).
func NormKey(s string) string {
	toks, err := chsql.Tokens(s)
	if err != nil {
		return strings.TrimSpace(s)
	}
	var parts []string
	for _, t := range toks {
		switch t.Kind {
		case chsql.Space, chsql.Comment:
		case chsql.QuotedWord:
			if id := chsql.Ident(s, t); isIdent(id) {
				parts = append(parts, id)
			} else {
				parts = append(parts, t.Text(s))
			}
		default:
			parts = append(parts, t.Text(s))
		}
	}
	for len(parts) >= 2 && parts[0] == "(" && closing(parts) == len(parts)-1 {
		parts = parts[1 : len(parts)-1]
	}
	out := strings.Join(parts, "")
	if out == "tuple()" {
		return ""
	}
	return out
}

// closing is the index of the token closing the parenthesis parts[0] opens; -1 when none does.
func closing(parts []string) int {
	depth := 0
	for i, p := range parts {
		switch p {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
