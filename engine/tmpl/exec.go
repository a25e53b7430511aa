package tmpl

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"
)

// executor is a text/template set with every function bound once: sprig's, and dwm's built-ins
// as closures over the render in progress. The macro set is associated with it, so a macro call
// is a plain ExecuteTemplate with no Clone. An executor runs one render at a time; Macros keeps a
// free list of them, so concurrent renders each get their own.
type executor struct {
	root *template.Template
	base template.FuncMap // the functions as bound, to restore names Env.Extra overrode
	m    *Macros
	cur  *render
}

// render is one execution: its Env and the macro nesting depth.
type render struct {
	env   *Env
	depth int
}

// localSep joins a file and a define block declared in it. Each file's blocks get their own
// names inside an executor, so one model's {{ define "x" }} can neither replace a macro nor be
// seen by another model.
const localSep = "#"

// localize renames a file's define blocks to file#name and rewrites its {{ template "name" }}
// calls to match.
func localize(file string, trees map[string]*parse.Tree) map[string]*parse.Tree {
	if len(trees) == 1 {
		return trees
	}
	out := make(map[string]*parse.Tree, len(trees))
	for name, t := range trees {
		if name != file {
			name = file + localSep + name
		}
		out[name] = t
		renameCalls(t.Root, func(n string) (string, bool) {
			if _, local := trees[n]; local && n != file {
				return file + localSep + n, true
			}
			return n, false
		})
	}
	return out
}

// renameCalls rewrites the names of {{ template }} calls, which only appear as statements.
func renameCalls(l *parse.ListNode, rename func(string) (string, bool)) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TemplateNode:
			if to, ok := rename(n.Name); ok {
				n.Name = to
			}
		case *parse.IfNode:
			renameCalls(n.List, rename)
			renameCalls(n.ElseList, rename)
		case *parse.RangeNode:
			renameCalls(n.List, rename)
			renameCalls(n.ElseList, rename)
		case *parse.WithNode:
			renameCalls(n.List, rename)
			renameCalls(n.ElseList, rename)
		}
	}
}

func (e *Engine) newExecutor(m *Macros) *executor {
	x := &executor{m: m}
	f := make(template.FuncMap, len(e.funcs)+len(dwmFuncs)+len(e.extra))
	for k, v := range e.funcs {
		f[k] = v
	}
	f["ref"] = func(name string, _ ...string) (string, error) { return x.cur.ref(name) }
	f["batch_ref"] = func(name string) (string, error) { return x.cur.batchRef(name) }
	f["source"] = func(src, table string) (string, error) { return x.cur.source(src, table) }
	f["config"] = func(...any) string { return "" }
	f["var"] = func(name string, def ...any) (any, error) { return x.cur.variable(name, def) }
	f["env_var"] = func(name string, def ...any) (string, error) { return x.cur.envVar(name, def) }
	f["this"] = func() (string, error) { return x.cur.this() }
	f["is_incremental"] = func() bool { return x.cur.env.IsIncremental }
	// project_dir lets SQL read project files with ClickHouse's file() table function, which
	// resolves relative paths against the process's directory, not the project's.
	f["project_dir"] = func() string { return x.cur.env.ProjectDir }
	f["macro"] = func(name string, args ...any) (string, error) { return x.callMacro(name, args) }
	f["param"] = func(...any) string { return "" } // read statically: see signatureOf
	f["arg"] = func(name string, v any) Named { return Named{Name: name, Value: v} }
	f["log"] = func(args ...any) string {
		if x.cur.env.Log != nil {
			x.cur.env.Log(fmt.Sprint(args...))
		}
		return ""
	}
	for _, n := range e.extra {
		f[n] = func(...any) (string, error) { return "", fmt.Errorf("%s is not available here", n) }
	}
	x.base = f
	x.root = template.New("__dwm__").Option("missingkey=error").Funcs(f)
	for _, name := range sortedKeys(m.trees) {
		if _, err := x.root.AddParseTree(name, m.trees[name]); err != nil {
			panic(fmt.Sprintf("tmpl: macro %q: %v", name, err)) // names were checked by ParseMacros
		}
	}
	return x
}

func (x *executor) render(tp *Template, env *Env) (string, error) {
	x.cur = &render{env: env}
	defer func() { x.cur = nil }()
	trees, err := tp.textTrees()
	if err != nil {
		return "", err
	}
	if body := trees[tp.File]; parse.IsEmptyTree(body.Root) {
		// text/template keeps an existing template rather than replace it with an "empty" one
		// (only spaces and comments), and executors are shared: such a body would render the
		// last template of its name. Its output is its text.
		var b strings.Builder
		for _, n := range body.Root.Nodes {
			if t, ok := n.(*parse.TextNode); ok {
				b.Write(t.Text)
			}
		}
		return b.String(), nil
	}
	for name, tree := range trees {
		if _, err := x.root.AddParseTree(name, tree); err != nil {
			return "", fmt.Errorf("%s: %w", tp.File, err)
		}
	}
	if len(env.Extra) > 0 {
		x.root.Funcs(env.Extra)
		defer x.restore(env.Extra)
	}
	var buf bytes.Buffer
	if err := x.root.ExecuteTemplate(&buf, tp.File, nil); err != nil {
		return "", convertErr(err)
	}
	return buf.String(), nil
}

// restore rebinds the names a render's Env.Extra replaced.
func (x *executor) restore(extra template.FuncMap) {
	back := make(template.FuncMap, len(extra))
	for k := range extra {
		if v, ok := x.base[k]; ok {
			back[k] = v
		} else {
			back[k] = func(...any) (string, error) { return "", fmt.Errorf("%s is not available here", k) }
		}
	}
	x.root.Funcs(back)
}

// maxMacroDepth stops runaway recursion between macros with a clear error instead of a stack overflow.
const maxMacroDepth = 100

func (x *executor) callMacro(name string, args []any) (string, error) {
	r := x.cur
	m := x.m
	if !m.Has(name) {
		return "", fmt.Errorf("macro %q is not defined%s", name, m.suggest(name))
	}
	if r.depth >= maxMacroDepth {
		return "", fmt.Errorf("macro %q: calls nested deeper than %d (recursion?)", name, maxMacroDepth)
	}
	data, err := m.sigs[name].bind(name, args)
	if err != nil {
		return "", err
	}
	r.depth++
	defer func() { r.depth-- }()
	var buf bytes.Buffer
	if err := x.root.ExecuteTemplate(&buf, name, data); err != nil {
		return "", convertErr(err)
	}
	return buf.String(), nil
}

func (r *render) ref(name string) (string, error) {
	if r.env.Ref == nil {
		return "", errors.New("ref is not available here")
	}
	return r.env.Ref(name)
}

// batchRef is ref unless the render scopes batch_ref (Env.BatchRef).
func (r *render) batchRef(name string) (string, error) {
	if r.env.BatchRef == nil {
		return r.ref(name)
	}
	return r.env.BatchRef(name)
}

func (r *render) source(src, table string) (string, error) {
	if r.env.Source == nil {
		return "", errors.New("source is not available here")
	}
	return r.env.Source(src, table)
}

func (r *render) variable(name string, def []any) (any, error) {
	if r.env.Var == nil {
		return nil, errors.New("var is not available here")
	}
	return r.env.Var(name, def)
}

func (r *render) envVar(name string, def []any) (string, error) {
	if r.env.EnvVar == nil {
		return "", errors.New("env_var is not available here")
	}
	return r.env.EnvVar(name, def)
}

func (r *render) this() (string, error) {
	if r.env.This == "" {
		return "", errors.New("this is only available in a model")
	}
	return r.env.This, nil
}

// Call renders one macro with the given arguments (Named values pass them by name), as
// {{ macro }} would from a template rendered with env: what dwm run-operation executes.
func (m *Macros) Call(name string, args []any, env *Env) (string, error) {
	x := m.acquire()
	defer m.release(x)
	x.cur = &render{env: env}
	defer func() { x.cur = nil }()
	out, err := x.callMacro(name, args)
	if err != nil {
		return "", convertErr(err)
	}
	return out, nil
}
