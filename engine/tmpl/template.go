package tmpl

import (
	"errors"
	"regexp"
	"sort"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"

	"github.com/Masterminds/sprig/v3"
)

// Env is what a render may look up. The project compiler fills it per node.
type Env struct {
	Ref func(name string) (string, error)
	// BatchRef renders {{ batch_ref "name" }}: a singular test's view of a batched relation,
	// the rows of the batches added since the test last passed. Nil renders it as ref: the
	// whole relation (what dwm compile shows, and every full check).
	BatchRef      func(name string) (string, error)
	Source        func(src, table string) (string, error)
	Var           func(name string, def []any) (any, error)
	EnvVar        func(name string, def []any) (string, error)
	This          string
	IsIncremental bool
	ProjectDir    string // absolute project directory
	// Log receives {{ log "msg" }} messages; nil drops them.
	Log func(msg string)
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
var dwmFuncs = []string{"ref", "batch_ref", "source", "config", "var", "env_var", "this", "is_incremental", "project_dir", "macro", "param", "arg", "log"}

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
	text   string
	macros *Macros
	// body is the fast path's tree (ast.go), nil when the template needs text/template.
	body []anode
	// trees are text/template's: the file's body under File, its define blocks under local
	// names. A template quickParse took builds them only when a render needs text/template.
	trees     map[string]*parse.Tree
	treesOnce sync.Once
	treesErr  error
}

// Parse parses text as the template of file and extracts its static declarations.
func (e *Engine) Parse(file, text string, macros *Macros) (*Template, error) {
	// Jinja blocks and comments ({% %}, {# #}) are never Go template text: say so up front.
	if err := jinjaErr(file, text, false); err != nil {
		return nil, err
	}
	if macros == nil {
		macros = e.empty
	}
	tp := &Template{File: file, text: text, macros: macros}
	if body, ok := quickParse(text); ok && validNodes(body, false) && staticOf(body, file, &lineIndex{text: text}, &tp.Static) {
		tp.body = body
		return tp, nil
	}
	tp.Static = Static{}
	trees, err := e.parseTrees(file, text)
	if err != nil {
		return nil, err
	}
	tp.trees = localize(file, trees)
	tp.treesOnce.Do(func() {})
	if len(trees) == 1 {
		tp.body, _ = fromTree(trees[file], false)
	}
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
	if len(tp.Static.Params) > 0 {
		c := tp.Static.Params[0]
		return nil, &PosError{File: file, Line: c.Line, Col: c.Col, Msg: "param declares a parameter of a macro: it belongs in a {{ define }} block of a macros/ file"}
	}
	return tp, nil
}

func (e *Engine) parseTrees(file, text string) (map[string]*parse.Tree, error) {
	trees, err := parse.Parse(file, text, "", "", e.names)
	if err != nil {
		// Jinja inside actions (ref('x'), config(...)) only shows as a parse error.
		if je := jinjaErr(file, text, true); je != nil {
			return nil, je
		}
		return nil, locate(convertErr(err), text)
	}
	return trees, nil
}

// textTrees returns text/template's trees, parsing them on first use for a template that
// quickParse took.
func (tp *Template) textTrees() (map[string]*parse.Tree, error) {
	tp.treesOnce.Do(func() {
		var trees map[string]*parse.Tree
		trees, tp.treesErr = tp.macros.engine.parseTrees(tp.File, tp.text)
		tp.trees = localize(tp.File, trees)
	})
	return tp.trees, tp.treesErr
}

// Render executes the template against env.
func (tp *Template) Render(env *Env) (string, error) {
	x := tp.macros.acquire()
	defer tp.macros.release(x)
	if tp.body != nil && len(env.Extra) == 0 {
		if sql, err := x.renderFast(tp, env); err == nil {
			return sql, nil
		}
		// Render again with text/template, for its exact error or a value the fast path skips.
	}
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
