package tmpl

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"text/template/parse"
)

// Macros is the project's macro library: every {{ define "name" }} block of macros/**/*.sql.
// It also keeps the executors that render templates using it.
type Macros struct {
	engine *Engine
	trees  map[string]*parse.Tree // macro name -> body
	files  map[string]string      // macro name -> file that defines it
	static map[string]Static      // macro name -> what its body declares
	fast   map[string][]anode     // macro name -> its body as the fast path's tree, when it can be

	mu   sync.Mutex
	free []*executor
}

func (e *Engine) newMacros() *Macros {
	return &Macros{engine: e, trees: map[string]*parse.Tree{}, files: map[string]string{}, static: map[string]Static{}, fast: map[string][]anode{}}
}

// ParseMacros parses macro files (path -> text). A name defined twice is an error naming both files.
func (e *Engine) ParseMacros(files map[string]string) (*Macros, error) {
	m := e.newMacros()
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := jinjaErr(p, files[p], false); err != nil {
			return nil, err
		}
		trees, err := parse.Parse(p, files[p], "", "", e.names)
		if err != nil {
			if je := jinjaErr(p, files[p], true); je != nil {
				return nil, je
			}
			return nil, locate(convertErr(err), files[p])
		}
		for _, name := range sortedKeys(trees) {
			d := trees[name]
			if name == p || d == nil {
				continue
			}
			if prev, dup := m.files[name]; dup {
				return nil, fmt.Errorf("%s: macro %q is already defined in %s", p, name, prev)
			}
			m.files[name] = p
			var st Static
			if err := extract(d, p, files[p], &st); err != nil {
				return nil, err
			}
			m.static[name] = st
			m.trees[name] = d
			if body, ok := fromTree(d, true); ok {
				m.fast[name] = body
			}
		}
	}
	return m, nil
}

// acquire returns an idle executor, making one when all are busy.
func (m *Macros) acquire() *executor {
	m.mu.Lock()
	if n := len(m.free); n > 0 {
		x := m.free[n-1]
		m.free = m.free[:n-1]
		m.mu.Unlock()
		return x
	}
	m.mu.Unlock()
	return m.engine.newExecutor(m)
}

func (m *Macros) release(x *executor) {
	m.mu.Lock()
	m.free = append(m.free, x)
	m.mu.Unlock()
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
