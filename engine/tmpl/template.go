package tmpl

import (
	"errors"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"

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

// Engine parses templates. Parsing goes straight to text/template/parse with one shared,
// read-only table of function names, and rendering borrows an executor that binds the ~200
// sprig functions once (see exec.go): binding them per template cost a 10,000-model project
// seconds and hundreds of megabytes of function maps.
type Engine struct {
	names map[string]any // every callable name, for the parser's existence check
	funcs template.FuncMap
	extra []string
	empty *Macros // the macro set of templates parsed without one
}

// dwmFuncs are dwm's built-ins; executors bind them to the render in progress.
var dwmFuncs = []string{"ref", "source", "config", "var", "env_var", "this", "is_incremental", "project_dir", "macro"}

// builtinNames are text/template's predefined functions, which parse.Parse must also know.
var builtinNames = []string{"and", "or", "not", "len", "index", "slice", "print", "printf", "println",
	"html", "js", "urlquery", "call", "eq", "ge", "gt", "le", "lt", "ne"}

// NewEngine returns an engine whose templates may call sprig's functions, dwm's built-ins and the
// names in extra (their values come from Env.Extra per render).
func NewEngine(extra ...string) *Engine {
	f := sprig.TxtFuncMap()
	for _, n := range []string{"env", "expandenv"} {
		delete(f, n) // env access goes through env_var so it is explicit in the template
	}
	names := make(map[string]any, len(f)+len(dwmFuncs)+len(builtinNames)+len(extra))
	for k := range f {
		names[k] = true
	}
	for _, group := range [][]string{dwmFuncs, builtinNames, extra} {
		for _, n := range group {
			names[n] = true
		}
	}
	e := &Engine{names: names, funcs: f, extra: extra}
	e.empty = e.newMacros()
	return e
}

// Template is one parsed model, test or inline query.
type Template struct {
	File   string
	Static Static
	trees  map[string]*parse.Tree // the file's body under File, its define blocks under local names
	macros *Macros
}

// Parse parses text as the template of file and extracts its static declarations.
func (e *Engine) Parse(file, text string, macros *Macros) (*Template, error) {
	if err := jinjaErr(file, text, false); err != nil {
		return nil, err
	}
	trees, err := parse.Parse(file, text, "", "", e.names)
	if err != nil {
		if je := jinjaErr(file, text, true); je != nil {
			return nil, je
		}
		return nil, locate(convertErr(err), text)
	}
	if macros == nil {
		macros = e.empty
	}
	tp := &Template{File: file, macros: macros, trees: localize(file, trees)}
	// The body first, then define blocks by name, so Static's order is stable.
	names := []string{file}
	for _, n := range sortedKeys(trees) {
		if n != file {
			names = append(names, n)
		}
	}
	for _, name := range names {
		if err := extract(trees[name], file, text, &tp.Static); err != nil {
			return nil, err
		}
	}
	return tp, nil
}

// Render executes the template against env.
func (tp *Template) Render(env *Env) (string, error) {
	x := tp.macros.acquire()
	defer tp.macros.release(x)
	return x.render(tp, env)
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
