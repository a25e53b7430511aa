package materialize

import (
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// PersistDocs is what a node's persist_docs config asks for: its description as the relation's
// comment, its column descriptions as column comments. Both are on unless configured off.
type PersistDocs struct{ Relation, Columns bool }

// PersistDocsOf reads persist_docs: {relation: bool, columns: bool}; a missing key is true,
// except for the CDC kinds (staging, scd2, fact), where a missing persist_docs means off: their
// relations can be defined over file() or s3(), and ALTER ... MODIFY COMMENT re-checks that
// source's access on a server, which a sandboxed dwm serve refuses. They opt in explicitly.
func PersistDocsOf(cfg manifest.Config) (PersistDocs, error) {
	p := PersistDocs{Relation: true, Columns: true}
	v, ok := cfg.Raw["persist_docs"]
	if !ok || v == nil {
		switch cfg.Materialized {
		case "staging", "scd2", "fact":
			return PersistDocs{}, nil
		}
		return p, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return p, fmt.Errorf("persist_docs must be a mapping like {relation: true, columns: true}, got %v", v)
	}
	for k, x := range m {
		b, ok := x.(bool)
		if !ok {
			return p, fmt.Errorf("persist_docs.%s must be true or false, got %v", k, x)
		}
		switch k {
		case "relation":
			p.Relation = b
		case "columns":
			p.Columns = b
		default:
			return p, fmt.Errorf("persist_docs: unknown key %q (relation or columns)", k)
		}
	}
	return p, nil
}

// CommentSteps writes n's YAML documentation into the warehouse after it is built, so analysts see
// it in system.tables.comment and system.columns.comment (and any SQL client). Every column
// documented in YAML is written, an empty description too, so a removed description clears the
// comment of a table that is kept across runs (incremental, scd2). Documented columns the relation
// does not have are skipped: the step first reads the relation's columns.
func CommentSteps(n *manifest.Node, caps warehouse.Capabilities) ([]Step, error) {
	p, err := PersistDocsOf(n.Config)
	if err != nil {
		return nil, err
	}
	target := Target(n)
	on := OnCluster(caps)
	var steps []Step
	if p.Relation {
		steps = append(steps, Step{Purpose: "comment " + target.String(),
			SQL: "ALTER TABLE " + target.String() + on + " MODIFY COMMENT " + manifest.QuoteString(n.Description)})
	}
	if !p.Columns || len(n.Columns) == 0 {
		return steps, nil
	}
	docs := map[string]string{}
	for _, c := range n.Columns {
		docs[c.Name] = c.Description
	}
	steps = append(steps, Step{
		Purpose: "comment the columns of " + target.String(),
		SQL: "SELECT name FROM system.columns WHERE database = " + manifest.QuoteString(target.Database) +
			" AND table = " + manifest.QuoteString(target.Name) + " ORDER BY position",
		Expand: func(res *warehouse.Result) ([]string, error) {
			var parts []string
			for i := range res.Rows {
				name := res.String(i, 0)
				if d, ok := docs[name]; ok {
					parts = append(parts, "COMMENT COLUMN "+manifest.QuoteIdent(name)+" "+manifest.QuoteString(d))
				}
			}
			if len(parts) == 0 {
				return nil, nil
			}
			return []string{"ALTER TABLE " + target.String() + on + " " + strings.Join(parts, ", ")}, nil
		},
	})
	return steps, nil
}
