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
			raw[c] = append(raw[c], "_q["+strconv.Itoa(ki+1)+"] IN "+e.Keys)
			used = true
		}
		if used {
			setup = append(setup, e.Setup)
		}
	}
	if len(cols) == 0 {
		return query, nil
	}
	// The raw texts are one array (classifyQuery): each distinct condition on the raw key is
	// computed once per row as a flag (_eN), outside the lambda that blanks the elements, which
	// then only reads the flags.
	var repl, flags, blank []string
	flagOf := map[string]string{}
	elems := map[string][]string{}
	var order []string
	for _, c := range cols {
		q := manifest.QuoteIdent(c)
		repl = append(repl, "if("+strings.Join(typed[c], " OR ")+", defaultValueOfArgumentType("+q+"), "+q+") AS "+q)
		cond := strings.Join(raw[c], " OR ")
		if _, ok := flagOf[cond]; !ok {
			flagOf[cond] = "_e" + strconv.Itoa(len(flagOf))
			flags = append(flags, "("+cond+") AS "+flagOf[cond])
			order = append(order, cond)
		}
		elems[cond] = append(elems[cond], strconv.Itoa(idx[c]+1))
	}
	for _, cond := range order {
		blank = append(blank, "("+flagOf[cond]+" AND i IN ("+strings.Join(elems[cond], ", ")+"))")
	}
	repl = append(repl, "arrayMap((x, i) -> if("+strings.Join(blank, " OR ")+", '', x), _q, arrayEnumerate(_q)) AS _q")
	return "SELECT * REPLACE (" + strings.Join(repl, ", ") + ") FROM (SELECT *, " + strings.Join(flags, ", ") +
		" FROM (" + query + "))", setup
}
