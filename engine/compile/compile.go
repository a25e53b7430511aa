// Package compile renders a loaded project's templates into SQL: it resolves ref, source, var and
// env_var for one node and inlines ephemeral models as CTEs.
package compile

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/project"
	"github.com/dwmhq/dwm/engine/tmpl"
)

// Compiler renders nodes of one project. It is safe for concurrent use on different nodes.
type Compiler struct {
	p      *project.Project
	getenv func(string) (string, bool)
	// secrets holds the values of DWM_ENV_SECRET_* variables rendered so far, to be masked.
	secrets sync.Map
	// Dir is the absolute project directory, for {{ project_dir }}.
	Dir string
	// Deferred maps the unique IDs of nodes this invocation does not build to the relation a
	// previous run recorded for them (--defer); refs to them read that relation. Set it before
	// rendering starts; it is only read afterwards.
	Deferred map[string]string
	// Log receives {{ log "msg" }} messages with the node being rendered; nil drops them.
	Log func(node, msg string)
}

func (c *Compiler) log(node, msg string) {
	if c.Log != nil {
		c.Log(node, c.Scrub(msg))
	}
}

// New returns a compiler; getenv may be nil for os.LookupEnv.
func New(p *project.Project, getenv func(string) (string, bool)) *Compiler {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	return &Compiler{p: p, getenv: getenv}
}

// Options are per-render facts that come from the warehouse.
type Options struct {
	// IsIncremental is true when the node's relation exists, is a table and no full refresh was asked.
	IsIncremental bool
	// Extra adds template functions (the test runner passes model and column_name).
	Extra map[string]any
	// Empty renders every ref and source as an empty subquery with the relation's columns
	// (dbt's --empty), so a model builds with its schema and no rows.
	Empty bool
	// Batches maps the unique IDs of relations a singular test reads with {{ batch_ref }} to
	// what it reads instead of the whole relation (the rows of its new batches, dtest decides).
	// A relation not in it, and every batch_ref when it is nil, renders as ref does.
	Batches map[string]string
}

// Node renders the node's SQL with ephemeral dependencies inlined.
func (c *Compiler) Node(id string, opts Options) (string, error) {
	n, ok := c.p.Manifest.Nodes[id]
	if !ok {
		return "", fmt.Errorf("compile: unknown node %s", id)
	}
	tp := c.p.Templates[id]
	if tp == nil {
		return "", fmt.Errorf("compile %s: node has no SQL template", id)
	}
	return c.render(n, tp, opts, map[string]bool{})
}

// Inline renders ad-hoc SQL (dwm show --inline) with refs, vars and macros available.
func (c *Compiler) Inline(sql string) (string, error) {
	tp, err := c.p.Engine.Parse("<inline>", sql, c.p.Macros)
	if err != nil {
		return "", err
	}
	n := &manifest.Node{Name: "inline", Path: "<inline>"}
	return c.render(n, tp, Options{}, map[string]bool{})
}

// Hook renders one pre_hook or post_hook of a model: a template like the model's own SQL, where
// {{ this }}, ref, var and macros work. Its dependencies are not tracked (as in dbt).
func (c *Compiler) Hook(id, text string) (string, error) {
	n, ok := c.p.Manifest.Nodes[id]
	if !ok {
		return "", fmt.Errorf("compile: unknown node %s", id)
	}
	tp, err := c.p.Engine.Parse(n.Path+" (hook)", text, c.p.Macros)
	if err != nil {
		return "", err
	}
	return c.render(n, tp, Options{}, map[string]bool{})
}

func (c *Compiler) render(n *manifest.Node, tp *tmpl.Template, opts Options, visiting map[string]bool) (string, error) {
	env, finish := c.env(n, opts, visiting)
	sql, err := tp.Render(env)
	if err != nil {
		return "", err
	}
	return finish(sql), nil
}

// Operation renders a macro for dwm run-operation: args are passed by name; ref, source, var,
// env_var and log work, this does not (there is no model).
func (c *Compiler) Operation(name string, args map[string]any) (string, error) {
	if !c.p.Macros.Has(name) {
		return "", fmt.Errorf("macro %q is not defined", name)
	}
	call := make([]any, 0, len(args))
	for _, k := range sortedNames(args) {
		call = append(call, tmpl.Named{Name: k, Value: args[k]})
	}
	env, finish := c.env(&manifest.Node{Name: name}, Options{}, map[string]bool{})
	sql, err := c.p.Macros.Call(name, call, env)
	if err != nil {
		return "", err
	}
	return finish(sql), nil
}

func sortedNames(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// env is what one render of node n may look up; finish puts the ephemeral models it inlined in
// front of the rendered SQL as CTEs.
func (c *Compiler) env(n *manifest.Node, opts Options, visiting map[string]bool) (*tmpl.Env, func(string) string) {
	ctes := map[string]string{}
	var order []string
	var env *tmpl.Env
	env = &tmpl.Env{
		Ref: func(name string) (string, error) {
			t := c.p.Manifest.ByName(name)
			if t == nil {
				return "", fmt.Errorf("ref %q: no model or seed of that name", name)
			}
			if rel, ok := c.Deferred[t.UniqueID]; ok {
				return emptied(rel, opts.Empty), nil
			}
			if t.Config.Materialized != "ephemeral" {
				return emptied(t.Relation(), opts.Empty), nil
			}
			cte := "__dwm_cte__" + t.Name
			if _, done := ctes[cte]; !done {
				if visiting[t.UniqueID] {
					return "", fmt.Errorf("ephemeral model %s refs itself through other ephemerals", t.Name)
				}
				visiting[t.UniqueID] = true
				sql, err := c.render(t, c.p.Templates[t.UniqueID], Options{Empty: opts.Empty}, visiting)
				delete(visiting, t.UniqueID)
				if err != nil {
					return "", fmt.Errorf("ephemeral %s: %w", t.Name, err)
				}
				ctes[cte] = sql
				order = append(order, cte)
			}
			return manifest.QuoteIdent(cte), nil
		},
		BatchRef: func(name string) (string, error) {
			if n.ResourceType != manifest.Test || n.Test == nil || n.Test.Name != "" {
				return "", fmt.Errorf("batch_ref %q: only a singular test (tests/*.sql) reads new batches; use ref", name)
			}
			if t := c.p.Manifest.ByName(name); t != nil {
				if rel, ok := opts.Batches[t.UniqueID]; ok {
					return rel, nil
				}
			}
			return env.Ref(name)
		},
		Source: func(src, table string) (string, error) {
			s, ok := c.p.Manifest.Nodes["source."+c.p.Manifest.Project+"."+src+"."+table]
			if !ok {
				return "", fmt.Errorf("source %s.%s is not declared", src, table)
			}
			return emptied(s.Relation(), opts.Empty), nil
		},
		Var:           c.lookupVar,
		EnvVar:        c.lookupEnv,
		IsIncremental: opts.IsIncremental,
		ProjectDir:    c.Dir,
		Extra:         opts.Extra,
		Log:           func(msg string) { c.log(n.Name, msg) },
	}
	if n.Database != "" {
		env.This = n.Relation()
	}
	finish := func(sql string) string {
		if len(order) == 0 {
			return sql
		}
		sort.Strings(order)
		parts := make([]string, len(order))
		for i, name := range order {
			parts[i] = manifest.QuoteIdent(name) + " AS (\n" + strings.TrimSpace(ctes[name]) + "\n)"
		}
		return InjectCTEs(sql, strings.Join(parts, ",\n"))
	}
	return env, finish
}

// emptied is a relation as --empty reads it: a subquery with its columns and no rows.
func emptied(rel string, empty bool) string {
	if !empty {
		return rel
	}
	return "(SELECT * FROM " + rel + " LIMIT 0)"
}

func (c *Compiler) lookupVar(name string, def []any) (any, error) {
	if v, ok := c.p.Vars[name]; ok {
		return v, nil
	}
	if len(def) > 0 {
		return def[0], nil
	}
	return nil, fmt.Errorf("var %q is not defined: set it under vars: in project.yml or pass --vars", name)
}

// SecretPrefix marks environment variables whose values SQL may use but artifacts, logs and error
// messages must never show (dbt's DBT_ENV_SECRET_ convention).
const SecretPrefix = "DWM_ENV_SECRET_"

// secretMask replaces secret values in Scrub's output.
const secretMask = "*****"

// Scrub masks the values of secret environment variables rendered by this compiler.
func (c *Compiler) Scrub(text string) string {
	c.secrets.Range(func(k, _ any) bool {
		text = strings.ReplaceAll(text, k.(string), secretMask)
		return true
	})
	return text
}

func (c *Compiler) lookupEnv(name string, def []any) (string, error) {
	if v, ok := c.getenv(name); ok {
		if strings.HasPrefix(name, SecretPrefix) && v != "" {
			c.secrets.Store(v, true)
		}
		return v, nil
	}
	if len(def) > 0 {
		return fmt.Sprint(def[0]), nil
	}
	return "", fmt.Errorf("env_var %q is not set and has no default", name)
}

var leadingRe = regexp.MustCompile(`^(?s:\s+|--[^\n]*\n?|/\*.*?\*/)*`)
var withRe = regexp.MustCompile(`^(?i:with)\s`)

// InjectCTEs adds ctes (already "name AS (...)" joined by commas) in front of sql, merging them into
// the query's own WITH clause when it has one, since ClickHouse allows only one WITH per SELECT.
func InjectCTEs(sql, ctes string) string {
	lead := leadingRe.FindString(sql)
	rest := sql[len(lead):]
	if withRe.MatchString(rest) {
		return lead + "WITH " + ctes + ",\n" + strings.TrimLeft(rest[4:], " \t\r\n")
	}
	return lead + "WITH " + ctes + "\n" + rest
}
