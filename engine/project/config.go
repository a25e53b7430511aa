package project

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/tmpl"
	"gopkg.in/yaml.v3"
)

// commonConfigKeys are understood for every node; materializations add their own keys.
var commonConfigKeys = []string{
	"enabled", "materialized", "tags", "database", "schema", "alias", "docs", "meta", "description",
	"engine", "order_by", "partition_by", "primary_key", "settings",
	"unique_key", "incremental_strategy", "full_refresh",
	"column_types", "delimiter",
	"severity", "warn_if", "error_if", "where", "limit", "store_failures", "scope", "persist_docs",
	"pre_hook", "post_hook", "pre-hook", "post-hook",
	"contract",
	"grants", "pii_readers",
}

// configTree is a `models:` or `seeds:` block of project.yml: +keys apply to everything below,
// other keys name folders.
type configTree struct {
	configs  map[string]any
	children map[string]*configTree
	used     atomic.Bool // nodes are configured in parallel
}

func parseTree(file string, n *yaml.Node, known map[string]bool) (*configTree, error) {
	t := &configTree{configs: map[string]any{}, children: map[string]*configTree{}}
	if n == nil || n.Kind == 0 {
		return t, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d:%d: expected a mapping of folders and +config keys", file, n.Line, n.Column)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		// +key is a config; dbt also accepts a key without '+' whose value is not a folder mapping.
		if strings.HasPrefix(key, "+") || v.Kind != yaml.MappingNode {
			key = strings.TrimPrefix(key, "+")
			if !known[key] {
				return nil, unknownKey(file, k, key, known)
			}
			var val any
			if err := v.Decode(&val); err != nil {
				return nil, fmt.Errorf("%s:%d:%d: %s: %v", file, v.Line, v.Column, key, err)
			}
			t.configs[key] = val
			continue
		}
		child, err := parseTree(file, v, known)
		if err != nil {
			return nil, err
		}
		t.children[key] = child
	}
	return t, nil
}

func unknownKey(file string, k *yaml.Node, key string, known map[string]bool) error {
	names := make([]string, 0, len(known))
	for n := range known {
		names = append(names, n)
	}
	hint := ""
	if s := near(key, names); s != "" {
		hint = "; did you mean " + s + "?"
	}
	return fmt.Errorf("%s:%d:%d: unknown config key %q%s", file, k.Line, k.Column, key, hint)
}

// resolve returns the config maps that apply to a node in folder path dirs, outermost first.
// dbt nests folders under the project name; a tree without that level is accepted too.
func (t *configTree) resolve(project string, dirs []string) []map[string]any {
	out := []map[string]any{t.configs}
	walk := func(start *configTree) {
		cur := start
		for _, d := range dirs {
			next, ok := cur.children[d]
			if !ok {
				return
			}
			next.used.Store(true)
			out = append(out, next.configs)
			cur = next
		}
	}
	if p, ok := t.children[project]; ok {
		p.used.Store(true)
		out = append(out, p.configs)
		walk(p)
	}
	walk(t)
	return out
}

// mergeConfig applies src over dst: later wins, except tags accumulate and maps merge, as in dbt.
func mergeConfig(dst, src map[string]any) {
	for k, v := range src {
		switch k {
		case "tags":
			dst[k] = unionStrings(toStrings(dst[k]), toStrings(v))
		case "settings", "meta", "column_types":
			m, _ := dst[k].(map[string]any)
			merged := map[string]any{}
			for kk, vv := range m {
				merged[kk] = vv
			}
			if sm, ok := v.(map[string]any); ok {
				for kk, vv := range sm {
					merged[kk] = vv
				}
				dst[k] = merged
			} else {
				dst[k] = v
			}
		default:
			dst[k] = v
		}
	}
}

func toStrings(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		if v == "" {
			return nil
		}
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	case []string:
		return v
	}
	return []string{fmt.Sprint(v)}
}

func unionStrings(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// typedConfig fills the typed fields of a config from its raw keys, checking value types.
func typedConfig(raw map[string]any) (manifest.Config, error) {
	c := manifest.Config{Enabled: true, Raw: raw}
	str := func(k string) (string, error) {
		switch v := raw[k].(type) {
		case nil:
			return "", nil
		case string:
			return v, nil
		case int, int64, float64, bool:
			return fmt.Sprint(v), nil
		}
		return "", fmt.Errorf("config %s must be a string, got %v", k, raw[k])
	}
	var err error
	set := func(dst *string, k string) {
		if err == nil {
			*dst, err = str(k)
		}
	}
	set(&c.Materialized, "materialized")
	set(&c.Database, "database")
	set(&c.Alias, "alias")
	set(&c.Engine, "engine")
	set(&c.PartitionBy, "partition_by")
	set(&c.IncrementalStrategy, "incremental_strategy")
	set(&c.Delimiter, "delimiter")
	set(&c.Severity, "severity")
	set(&c.WarnIf, "warn_if")
	set(&c.ErrorIf, "error_if")
	set(&c.Where, "where")
	if err != nil {
		return c, err
	}
	if c.Database == "" {
		if s, ok := raw["schema"].(string); ok {
			c.Database = s // dbt projects say schema; in ClickHouse that is a database
		}
	}
	c.OrderBy = exprList(raw["order_by"])
	c.PrimaryKey = exprList(raw["primary_key"])
	c.Tags = toStrings(raw["tags"])
	sort.Strings(c.Tags)
	for _, k := range toStrings(raw["unique_key"]) {
		for _, part := range strings.Split(k, ",") {
			if p := strings.TrimSpace(part); p != "" {
				c.UniqueKey = append(c.UniqueKey, p)
			}
		}
	}
	if v, ok := raw["enabled"]; ok {
		b, ok := v.(bool)
		if !ok {
			return c, fmt.Errorf("config enabled must be true or false, got %v", v)
		}
		c.Enabled = b
	}
	if v, ok := raw["settings"]; ok && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return c, fmt.Errorf("config settings must be a mapping, got %v", v)
		}
		c.Settings = m
	}
	if v, ok := raw["column_types"]; ok && v != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return c, fmt.Errorf("config column_types must be a mapping, got %v", v)
		}
		c.ColumnTypes = map[string]string{}
		for k, t := range m {
			c.ColumnTypes[k] = fmt.Sprint(t)
		}
	}
	if v, ok := raw["limit"]; ok && v != nil {
		n, err := strconv.Atoi(fmt.Sprint(v))
		if err != nil {
			return c, fmt.Errorf("config limit must be a number, got %v", v)
		}
		c.Limit = n
	}
	if v, ok := raw["store_failures"]; ok && v != nil {
		b, ok := v.(bool)
		if !ok {
			return c, fmt.Errorf("config store_failures must be true or false, got %v", v)
		}
		c.StoreFailures = b
	}
	switch c.Severity {
	case "", "error", "warn", "ERROR", "WARN":
		c.Severity = strings.ToLower(c.Severity)
	default:
		return c, fmt.Errorf("config severity must be error or warn, got %q", c.Severity)
	}
	return c, nil
}

// exprList renders an order_by/primary_key given as a string or a list as one ClickHouse expression.
func exprList(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []any:
		parts := toStrings(v)
		if len(parts) == 1 {
			return parts[0]
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprint(v)
}

func near(name string, candidates []string) string {
	return strings.Join(tmpl.Near(name, candidates, 3), ", ")
}

// CommonConfigKeys lists the config keys every node understands (materializations add theirs).
func CommonConfigKeys() []string { return append([]string(nil), commonConfigKeys...) }
