package tmpl

import (
	"fmt"
	"sort"
	"strings"
	"text/template"
)

// Macros is the project's macro library: every {{ define "name" }} block of macros/**/*.sql.
type Macros struct {
	set    *template.Template
	files  map[string]string // macro name -> file that defines it
	static map[string]Static // macro name -> what its body declares
}

// ParseMacros parses macro files (path -> text). A name defined twice is an error naming both files.
func (e *Engine) ParseMacros(files map[string]string) (*Macros, error) {
	m := &Macros{set: template.New("__dwm_macros__").Funcs(e.stubs), files: map[string]string{}, static: map[string]Static{}}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		t, err := template.New(p).Funcs(e.stubs).Parse(files[p])
		if err != nil {
			return nil, convertErr(err)
		}
		for _, d := range t.Templates() {
			if d.Name() == p || d.Tree == nil {
				continue
			}
			if prev, dup := m.files[d.Name()]; dup {
				return nil, fmt.Errorf("%s: macro %q is already defined in %s", p, d.Name(), prev)
			}
			m.files[d.Name()] = p
			var st Static
			if err := extract(d.Tree, p, files[p], &st); err != nil {
				return nil, err
			}
			m.static[d.Name()] = st
			if _, err := m.set.AddParseTree(d.Name(), d.Tree); err != nil {
				return nil, fmt.Errorf("%s: macro %q: %w", p, d.Name(), err)
			}
		}
	}
	return m, nil
}

// Has reports whether a macro is defined.
func (m *Macros) Has(name string) bool {
	if m == nil {
		return false
	}
	_, ok := m.files[name]
	return ok
}

// File returns the file that defines a macro.
func (m *Macros) File(name string) string { return m.files[name] }

// Names lists the defined macros.
func (m *Macros) Names() []string {
	if m == nil {
		return nil
	}
	return sortedKeys(m.files)
}

// Closure returns the static declarations of the named macros and every macro they call, so a
// model that calls a macro which refs a model depends on that model.
func (m *Macros) Closure(names []string) (Static, error) {
	var out Static
	seen := map[string]bool{}
	var visit func(string) error
	visit = func(n string) error {
		if seen[n] {
			return nil
		}
		seen[n] = true
		st, ok := m.static[n]
		if !ok {
			return fmt.Errorf("macro %q is not defined%s", n, m.suggest(n))
		}
		out.Refs = append(out.Refs, st.Refs...)
		out.Sources = append(out.Sources, st.Sources...)
		for _, c := range st.Macros {
			if err := visit(c.Args[0].(string)); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range names {
		if m == nil {
			return out, fmt.Errorf("macro %q is not defined (no macros/ files)", n)
		}
		if err := visit(n); err != nil {
			return out, err
		}
	}
	return out, nil
}

func (m *Macros) suggest(name string) string {
	if m == nil {
		return ""
	}
	if s := Near(name, m.Names(), 3); len(s) > 0 {
		return "; did you mean " + strings.Join(s, ", ") + "?"
	}
	return ""
}
