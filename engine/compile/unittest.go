package compile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/tmpl"
)

// WithInputs renders model id for a unit test: every ref and source becomes a CTE holding the SQL
// that inputs gives for that node's unique ID, so the model runs on fixed rows and reads no
// warehouse data. A ref or source without an input is an error naming it. vars override the
// project's vars.
func (c *Compiler) WithInputs(id string, inputs map[string]string, vars map[string]any) (string, error) {
	n, ok := c.p.Manifest.Nodes[id]
	if !ok {
		return "", fmt.Errorf("compile: unknown node %s", id)
	}
	tp := c.p.Templates[id]
	if tp == nil {
		return "", fmt.Errorf("compile %s: node has no SQL template", id)
	}
	used := map[string]string{}
	input := func(dep *manifest.Node, written string) (string, error) {
		sql, ok := inputs[dep.UniqueID]
		if !ok {
			return "", fmt.Errorf("%s has no given rows: add `- input: %s` to the unit test (rows: [] for an empty input)", written, written)
		}
		cte := "__dwm_input__" + dep.Name
		if dep.Source != nil {
			cte = "__dwm_input__" + dep.Source.SourceName + "__" + dep.Name
		}
		used[cte] = sql
		return manifest.QuoteIdent(cte), nil
	}
	env := &tmpl.Env{
		Ref: func(name string) (string, error) {
			t := c.p.Manifest.ByName(name)
			if t == nil {
				return "", fmt.Errorf("ref %q: no model or seed of that name", name)
			}
			return input(t, fmt.Sprintf("ref('%s')", name))
		},
		Source: func(src, table string) (string, error) {
			s, ok := c.p.Manifest.Nodes["source."+c.p.Manifest.Project+"."+src+"."+table]
			if !ok {
				return "", fmt.Errorf("source %s.%s is not declared", src, table)
			}
			return input(s, fmt.Sprintf("source('%s', '%s')", src, table))
		},
		Var: func(name string, def []any) (any, error) {
			if v, ok := vars[name]; ok {
				return v, nil
			}
			return c.lookupVar(name, def)
		},
		EnvVar: c.lookupEnv,
		This:   n.Relation(),
	}
	sql, err := tp.Render(env)
	if err != nil {
		return "", err
	}
	names := make([]string, 0, len(used))
	for k := range used {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = manifest.QuoteIdent(name) + " AS (\n" + strings.TrimSpace(used[name]) + "\n)"
	}
	if len(parts) == 0 {
		return sql, nil
	}
	return InjectCTEs(sql, strings.Join(parts, ",\n")), nil
}
