// Package pii knows which columns hold personal data and what erasing a data subject means. It
// reads the tags from the manifest (a column's `meta: {pii: true}`), carries them to the models
// that select those columns unchanged, and builds the SQL that scrubs an erased subject's values
// from every table that holds them, the erasure log and the grants that keep tagged columns from
// readers without PII access. The SQL builders are pure; Eraser runs them.
package pii

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
)

// Column is one personal-data column of a model.
type Column struct {
	Name string
	// From is the model whose YAML tagged the column; the model itself when declared there.
	From string
}

// Subject is a model whose rows are data subjects (users): its unique key identifies a subject
// in every relation that carries a column of that name.
type Subject struct {
	Model string
	Key   string
	// ErasedWhen selects the subject model's rows whose key is erased on its own (an upstream
	// DELETE); empty for none.
	ErasedWhen string
	// Within is the erasure window of upstream deletions (meta pii_erase_within): a table still
	// holding a deleted subject's values is scrubbed once the deletion has waited half of it, so
	// that erasures logged meanwhile share one rewrite of the table; 0 scrubs at every build.
	// Requests (dwm erase) are scrubbed at once whatever it is.
	Within time.Duration
}

// Tags are the project's personal-data columns by model name, and its data subjects.
type Tags struct {
	Columns  map[string][]Column
	Subjects []Subject
}

// Tagged reports whether meta marks a column as personal data (`pii: true`, or the string "true").
func Tagged(meta map[string]any) (value, set bool) {
	v, ok := meta["pii"]
	if !ok {
		return false, false
	}
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		return v == "true", true
	}
	return false, false
}

// Read collects the tags: a column is personal data when its YAML says `meta: {pii: true}`, or
// when a model it selects from (a ref) has a personal-data column of the same name and the
// column's own YAML does not say `pii: false`. Column names carry the tag, as they carry data
// through `SELECT *` and `x.col AS col`; a column renamed or computed from personal data must be
// tagged where it is made. A model whose YAML sets `meta: {pii_subject: true}` is a data subject
// keyed by its unique_key; `pii_erased_when` (default for scd2: `NOT is_active`) marks the keys
// erased by an upstream DELETE.
func Read(m *manifest.Manifest) (*Tags, error) {
	t := &Tags{Columns: map[string][]Column{}}
	order, err := topoModels(m)
	if err != nil {
		return nil, err
	}
	for _, n := range order {
		inherited := map[string]string{}
		for _, dep := range n.DependsOn {
			p := m.Nodes[dep]
			if p == nil {
				continue
			}
			for _, c := range t.Columns[p.Name] {
				if _, ok := inherited[c.Name]; !ok {
					inherited[c.Name] = c.From
				}
			}
		}
		var cols []Column
		for _, c := range n.Columns {
			v, set := Tagged(c.Meta)
			switch {
			case set && v:
				cols = append(cols, Column{Name: c.Name, From: n.Name})
			case set && !v:
			case inherited[c.Name] != "":
				cols = append(cols, Column{Name: c.Name, From: inherited[c.Name]})
			}
		}
		if len(cols) > 0 {
			t.Columns[n.Name] = cols
		}
		if b, _ := n.Meta["pii_subject"].(bool); b {
			if len(n.Config.UniqueKey) != 1 {
				return nil, fmt.Errorf("model %s: pii_subject needs a unique_key of one column", n.Name)
			}
			s := Subject{Model: n.Name, Key: n.Config.UniqueKey[0]}
			if w, ok := n.Meta["pii_erased_when"].(string); ok {
				s.ErasedWhen = w
			} else if n.Config.Materialized == "scd2" {
				s.ErasedWhen = "NOT is_active"
			}
			if v, ok := n.Meta["pii_erase_within"]; ok {
				w, err := ParseWithin(v)
				if err != nil {
					return nil, fmt.Errorf("model %s: meta pii_erase_within: %w", n.Name, err)
				}
				s.Within = w
			}
			t.Subjects = append(t.Subjects, s)
		}
	}
	return t, nil
}

// Names returns the personal-data column names of a model, sorted.
func (t *Tags) Names(model string) []string {
	var out []string
	for _, c := range t.Columns[model] {
		out = append(out, c.Name)
	}
	sort.Strings(out)
	return out
}

// Subject returns the data subject declared by model, if it is one.
func (t *Tags) Subject(model string) (Subject, bool) {
	for _, s := range t.Subjects {
		if s.Model == model {
			return s, true
		}
	}
	return Subject{}, false
}

// topoModels returns the models and seeds parents first, so tags flow down in one pass.
func topoModels(m *manifest.Manifest) ([]*manifest.Node, error) {
	var out []*manifest.Node
	state := map[string]int{}
	var visit func(id string) error
	visit = func(id string) error {
		switch state[id] {
		case 1:
			return fmt.Errorf("pii tags: dependency cycle at %s", id)
		case 2:
			return nil
		}
		n := m.Nodes[id]
		if n == nil {
			return nil
		}
		state[id] = 1
		for _, d := range n.DependsOn {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[id] = 2
		if n.ResourceType == manifest.Model || n.ResourceType == manifest.Seed || n.ResourceType == manifest.Source {
			out = append(out, n)
		}
		return nil
	}
	for _, id := range m.SortedIDs() {
		if err := visit(id); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Annotate returns a copy of m in which every personal-data column, inherited ones included,
// carries `pii: true` in its meta (and `pii_from: <model>` when inherited), for the docs site.
// m itself is not changed.
func Annotate(m *manifest.Manifest, t *Tags) *manifest.Manifest {
	out := &manifest.Manifest{Project: m.Project, Nodes: make(map[string]*manifest.Node, len(m.Nodes)),
		Macros: m.Macros, MacroChecksums: m.MacroChecksums}
	for id, n := range m.Nodes {
		out.Nodes[id] = n
		cols := t.Columns[n.Name]
		if len(cols) == 0 || (n.ResourceType != manifest.Model && n.ResourceType != manifest.Seed) {
			continue
		}
		from := map[string]string{}
		for _, c := range cols {
			from[c.Name] = c.From
		}
		cp := *n
		cp.Columns = make([]manifest.Column, len(n.Columns))
		for i, c := range n.Columns {
			if f, ok := from[c.Name]; ok {
				meta := map[string]any{"pii": true}
				for k, v := range c.Meta {
					meta[k] = v
				}
				meta["pii"] = true
				if f != n.Name {
					meta["pii_from"] = f
				}
				c.Meta = meta
			}
			cp.Columns[i] = c
		}
		out.Nodes[id] = &cp
	}
	return out
}

// ParseWithin reads an erasure window: a whole number of days or weeks ("30d", "2w") or a Go
// duration ("72h", "90m", "45s"); "0" is none. Below a second it is refused: the log's times have
// whole seconds.
func ParseWithin(v any) (time.Duration, error) {
	s, ok := v.(string)
	if !ok {
		if n, isInt := v.(int); isInt && n == 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("want a duration such as 30d, 2w or 72h, got %v", v)
	}
	s = strings.TrimSpace(s)
	switch s {
	case "0":
		return 0, nil
	case "":
		return 0, fmt.Errorf("want a duration such as 30d, 2w or 72h, got nothing")
	}
	var d time.Duration
	if unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]; unit != 0 && len(s) > 1 {
		n, err := strconv.ParseUint(s[:len(s)-1], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("want a duration such as 30d, 2w or 72h, got %q", s)
		}
		d = time.Duration(n) * unit
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("want a duration such as 30d, 2w or 72h, got %q", s)
		}
	}
	if d != 0 && d < time.Second {
		return 0, fmt.Errorf("want 0 or at least a second, got %q", s)
	}
	return d, nil
}

// FormatWithin writes a window as ParseWithin reads it: whole days as "30d", else Go's form.
func FormatWithin(d time.Duration) string {
	if day := 24 * time.Hour; d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}
