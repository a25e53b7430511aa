package cdc

import (
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
)

// blankErasedLoad wraps a load's classification (classifyQuery) so that erased subjects'
// personal values never land (docs/gdpr.md): on the rows of an erased key, each personal-data
// column becomes its type's default, and its raw text (kept for quarantined rows) becomes empty.
// That is the blank a scrub gives, with the key compared as a scrub compares it: the typed key as
// text for the model's table, the raw text for its quarantine. The classification's temporary
// table, the file's partition and the quarantine then never hold an erased value, whenever a
// build is killed. It returns the query unchanged, and no setup, when no erasure applies to the
// file's columns.
func blankErasedLoad(query string, b *LoadBatch, es []materialize.Erasure) (string, []string) {
	idx := map[string]int{}
	for i, c := range b.Columns {
		idx[c.Name] = i
	}
	typed, raw := map[string][]string{}, map[string][]string{}
	var cols, setup []string
	for _, e := range es {
		ki, ok := idx[e.Key]
		if !ok {
			continue
		}
		used := false
		for _, c := range e.Columns {
			if _, ok := idx[c]; !ok || c == e.Key {
				continue
			}
			if typed[c] == nil {
				cols = append(cols, c)
			}
			typed[c] = append(typed[c], "toString("+manifest.QuoteIdent(e.Key)+") IN "+e.Keys)
			raw[c] = append(raw[c], "_q"+strconv.Itoa(ki)+" IN "+e.Keys)
			used = true
		}
		if used {
			setup = append(setup, e.Setup)
		}
	}
	if len(cols) == 0 {
		return query, nil
	}
	var repl []string
	for _, c := range cols {
		q, rq := manifest.QuoteIdent(c), "_q"+strconv.Itoa(idx[c])
		repl = append(repl, "if("+strings.Join(typed[c], " OR ")+", defaultValueOfArgumentType("+q+"), "+q+") AS "+q,
			"if("+strings.Join(raw[c], " OR ")+", '', "+rq+") AS "+rq)
	}
	return "SELECT * REPLACE (" + strings.Join(repl, ", ") + ") FROM (" + query + ")", setup
}
