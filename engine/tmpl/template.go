package tmpl

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// Env is what a render may look up. The project compiler fills it per node.
type Env struct {
	Ref           func(name string) (string, error)
	Source        func(src, table string) (string, error)
	Var           func(name string, def []any) (any, error)
	EnvVar        func(name string, def []any) (string, error)
	This          string
	IsIncremental bool
	ProjectDir    string // absolute project directory
	// Extra adds functions beyond the built-ins (tests use it to pass model and column).
	Extra template.FuncMap
}

// Engine parses templates. It holds the function map once, because sprig builds ~200 entries per
// call and a project may hold ten thousand templates.
type Engine struct {
	stubs template.FuncMap
}

// NewEngine returns an engine whose templates may call sprig's functions, dwm's built-ins and the
// names in extra (their values are replaced per render).
func NewEngine(extra ...string) *Engine {
	f := sprig.TxtFuncMap()
	for _, n := range []string{"env", "expandenv"} {
		delete(f, n) // env access goes through env_var so it is explicit in the template
	}
	stub := func(...any) (string, error) { return "", errors.New("not available here") }
	for _, n := range []string{"ref", "source", "config", "var", "env_var", "macro"} {
		f[n] = stub
	}
	f["this"] = func() (string, error) { return "", errors.New("this is not available here") }
	f["is_incremental"] = func() bool { return false }
	f["project_dir"] = func() string { return "" }
	for _, n := range extra {
		f[n] = stub
	}
	return &Engine{stubs: f}
}

// Template is one parsed model, test or inline query.
type Template struct {
	File   string
	Static Static
	mu     sync.Mutex // Funcs rebinding and Execute must not interleave
	t      *template.Template
	macros *Macros
}

// Parse parses text as the template of file and extracts its static declarations.
func (e *Engine) Parse(file, text string, macros *Macros) (*Template, error) {
	t, err := template.New(file).Funcs(e.stubs).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, convertErr(err)
	}
	tp := &Template{File: file, t: t, macros: macros}
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		if err := extract(tt.Tree, file, text, &tp.Static); err != nil {
			return nil, err
		}
	}
	return tp, nil
}

// Render executes the template against env.
func (tp *Template) Render(env *Env) (string, error) {
	r := &render{env: env, macros: tp.macros}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	tp.t.Funcs(r.funcs())
	var buf bytes.Buffer
	if err := tp.t.Execute(&buf, nil); err != nil {
		return "", convertErr(err)
	}
	return buf.String(), nil
}

// render binds one execution's functions.
type render struct {
	env    *Env
	macros *Macros
	set    *template.Template // lazily cloned macro set for this render
	depth  int
}

func (r *render) funcs() template.FuncMap {
	e := r.env
	f := template.FuncMap{
		"ref": func(name string, _ ...string) (string, error) {
			if e.Ref == nil {
				return "", errors.New("ref is not available here")
			}
			return e.Ref(name)
		},
		"source": func(src, table string) (string, error) {
			if e.Source == nil {
				return "", errors.New("source is not available here")
			}
			return e.Source(src, table)
		},
		"config": func(...any) string { return "" },
		"var": func(name string, def ...any) (any, error) {
			if e.Var == nil {
				return nil, errors.New("var is not available here")
			}
			return e.Var(name, def)
		},
		"env_var": func(name string, def ...any) (string, error) {
			if e.EnvVar == nil {
				return "", errors.New("env_var is not available here")
			}
			return e.EnvVar(name, def)
		},
		"this": func() (string, error) {
			if e.This == "" {
				return "", errors.New("this is only available in a model")
			}
			return e.This, nil
		},
		"is_incremental": func() bool { return e.IsIncremental },
		// project_dir lets SQL read project files with ClickHouse's file() table function, which
		// resolves relative paths against the process's directory, not the project's.
		"project_dir": func() string { return e.ProjectDir },
		"macro":       r.callMacro,
	}
	for k, v := range e.Extra {
		f[k] = v
	}
	return f
}

// maxMacroDepth stops runaway recursion between macros with a clear error instead of a stack overflow.
const maxMacroDepth = 100

func (r *render) callMacro(name string, args ...any) (string, error) {
	if r.macros == nil || !r.macros.Has(name) {
		return "", fmt.Errorf("macro %q is not defined%s", name, r.macros.suggest(name))
	}
	if r.set == nil {
		set, err := r.macros.set.Clone()
		if err != nil {
			return "", err
		}
		set.Funcs(r.funcs())
		r.set = set
	}
	if r.depth >= maxMacroDepth {
		return "", fmt.Errorf("macro %q: calls nested deeper than %d (recursion?)", name, maxMacroDepth)
	}
	r.depth++
	defer func() { r.depth-- }()
	var buf bytes.Buffer
	if err := r.set.ExecuteTemplate(&buf, name, map[string]any{"Args": args}); err != nil {
		return "", convertErr(err)
	}
	return buf.String(), nil
}

var execRe = regexp.MustCompile(`^template: ([^:]+):(\d+)(?::(\d+))?: (?:executing "[^"]*" at (<[^>]*>): )?(.*)$`)

// convertErr turns text/template's "template: NAME:LINE:COL: ..." into "file:line:col: ...".
func convertErr(err error) error {
	var pe *PosError
	if errors.As(err, &pe) {
		return err
	}
	msg := err.Error()
	m := execRe.FindStringSubmatch(msg)
	if m == nil {
		return errors.New(strings.TrimPrefix(msg, "template: "))
	}
	line, col := atoi(m[2]), atoi(m[3])
	text := m[5]
	// text/template repeats the chain of nested errors; the innermost position is the useful one.
	if inner := execRe.FindStringSubmatch(text); inner != nil {
		return convertErr(errors.New(text))
	}
	text = strings.TrimPrefix(text, "error calling ")
	if m[4] != "" {
		text = "at " + m[4] + ": " + text
	}
	return &PosError{File: m[1], Line: line, Col: col, Msg: text}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// sortedKeys is a helper for deterministic messages.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
