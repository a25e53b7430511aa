package dbtimport

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/dtest/generic"
	"gopkg.in/yaml.v3"
)

// encode writes a YAML node with two-space indentation.
func encode(n *yaml.Node) []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		// A node tree built from a decoded document always encodes.
		panic(fmt.Sprintf("dbtimport: encode yaml: %v", err))
	}
	return b.Bytes()
}

func scalar(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

func set(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, scalar(key), v)
}

func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func strList(n *yaml.Node, def string) []string {
	if n == nil {
		return []string{def}
	}
	var out []string
	if n.Kind == yaml.ScalarNode {
		return []string{n.Value}
	}
	for _, c := range n.Content {
		out = append(out, strings.TrimSuffix(c.Value, "/"))
	}
	if len(out) == 0 {
		return []string{def}
	}
	return out
}

// projectFile reads dbt_project.yml and returns project.yml.
func (im *importer) projectFile(raw []byte) ([]byte, error) {
	const file = "dbt_project.yml"
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: expected a mapping", file)
	}
	root := doc.Content[0]
	name := get(root, "name")
	if name == nil || name.Value == "" {
		return nil, fmt.Errorf("%s: name is required", file)
	}
	im.proj = dbtProject{
		name:      name.Value,
		models:    strList(get(root, "model-paths"), "models"),
		seeds:     strList(get(root, "seed-paths"), "seeds"),
		macros:    strList(get(root, "macro-paths"), "macros"),
		tests:     strList(get(root, "test-paths"), "tests"),
		snapshots: strList(get(root, "snapshot-paths"), "snapshots"),
	}
	if p := get(root, "profile"); p != nil {
		im.proj.profile = p.Value
	}
	out := mapping()
	out.HeadComment = "Imported from a dbt project by `dwm import dbt`."
	set(out, "name", scalar(name.Value))
	if err := im.targets(out); err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "name", "profile", "model-paths", "seed-paths", "macro-paths", "test-paths", "snapshot-paths":
		case "version":
			set(out, "version", v)
		case "vars":
			im.yamlStrings(file, v)
			set(out, "vars", v)
		case "target-path":
			set(out, "target-path", v)
		case "models", "seeds", "tests", "data_tests":
			im.configTree(file, v)
			set(out, k.Value, v)
		case "config-version", "clean-targets", "require-dbt-version", "analysis-paths", "docs-paths",
			"asset-paths", "packages-install-path", "log-path", "dispatch", "flags", "query-comment":
		case "snapshots":
			im.note(file + ": snapshots: configs belong in each snapshot's config once issue 13 (snapshots) lands; dropped")
		case "on-run-start", "on-run-end":
			if len(v.Content) > 0 || v.Kind == yaml.ScalarNode && v.Value != "" {
				im.problemf(file, k.Line, k.Column, k.Value, "hooks around a whole run have no dwm equivalent; run the statements yourself")
			}
		default:
			im.note(fmt.Sprintf("%s:%d: %s dropped: dwm has no equivalent", file, k.Line, k.Value))
		}
	}
	return encode(out), nil
}

// configTree checks a models:/seeds:/tests: block: config keys dwm knows stay, keys with no
// effect in dwm are dropped with a note, others stay as written and are reported.
func (im *importer) configTree(file string, n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return
	}
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !strings.HasPrefix(k.Value, "+") && v.Kind == yaml.MappingNode && k.Value != "settings" && k.Value != "column_types" && k.Value != "meta" {
			im.configTree(file, v)
			kept = append(kept, k, v)
			continue
		}
		key := strings.ReplaceAll(strings.TrimPrefix(k.Value, "+"), "-", "_")
		if key == "invalidate_hard_deletes" {
			// dbt's older spelling of hard_deletes: invalidate.
			if v.Value == "true" {
				k.Value = strings.Replace(k.Value, "invalidate_hard_deletes", "hard_deletes", 1)
				v.Value = "invalidate"
				kept = append(kept, k, v)
			}
			continue
		}
		if why, ok := im.keys.dropped(key); ok {
			im.note(fmt.Sprintf("%s:%d: %s dropped: %s", file, k.Line, k.Value, why))
			continue
		}
		if !im.keys.known(key) {
			im.problemf(file, k.Line, k.Column, k.Value, "config %s has no dwm equivalent", key)
		}
		switch key {
		case "materialized":
			if !materializations[v.Value] {
				im.problemf(file, v.Line, v.Column, v.Value, "materialized: %s has no dwm equivalent (dwm has view, table, incremental, ephemeral)", v.Value)
			}
		case "incremental_strategy":
			switch v.Value {
			case "delete_insert":
				v.Value = "delete+insert"
			case "legacy", "default":
				im.note(fmt.Sprintf("%s:%d: incremental_strategy %s dropped: set delete+insert where a unique_key should keep one row per key", file, k.Line, v.Value))
				continue
			}
		}
		if key != "pre_hook" && key != "post_hook" && v.Kind == yaml.ScalarNode && strings.Contains(v.Value, "{{") {
			// Hooks are templates in dwm too; other config values are read as they are.
			im.problemf(file, v.Line, v.Column, v.Value, "dwm reads the value of %s as written, not as a template", key)
		} else {
			im.yamlStrings(file, v)
		}
		kept = append(kept, k, v)
	}
	n.Content = kept
}

// yamlStrings converts Jinja inside YAML string values (descriptions with doc(), hooks, vars).
func (im *importer) yamlStrings(file string, n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "{{") && !strings.Contains(n.Value, "{%") && !strings.Contains(n.Value, "{#") {
			return
		}
		c := &converter{file: file, src: n.Value, macros: im.macros, project: im.proj.name, yaml: true, keys: im.keys}
		out, err := c.convert()
		if err != nil {
			im.problemf(file, n.Line, n.Column, n.Value, "does not parse as Jinja: %v", err)
			return
		}
		for _, p := range c.problems {
			// Positions inside a YAML string are relative to the string; report the YAML line.
			im.problemf(file, n.Line+p.Line-1, n.Column, p.What, "%s", p.Reason)
		}
		n.Value = out
		n.Style = 0
	case yaml.MappingNode, yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			im.yamlStrings(file, c)
		}
	}
}

// knownProps are the property file keys dwm reads, per level.
var knownProps = map[string]map[string]bool{
	"top":    {"version": true, "models": true, "seeds": true, "sources": true, "unit_tests": true, "macros": true, "exposures": true},
	"node":   {"name": true, "description": true, "config": true, "columns": true, "tests": true, "data_tests": true, "meta": true, "docs": true},
	"column": {"name": true, "description": true, "data_type": true, "tests": true, "data_tests": true, "meta": true, "quote": true, "constraints": true, "tags": true},
}

// yamlFile converts a schema YAML file: Jinja in strings, and checks of keys and test names.
func (im *importer) yamlFile(file, text string) []byte {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		im.problemf(file, 1, 1, "YAML", "does not parse: %v", err)
		return []byte(text)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return []byte(text)
	}
	root := doc.Content[0]
	im.filterKeys(file, root, "top")
	for _, kind := range []string{"models", "seeds"} {
		list := get(root, kind)
		if list == nil {
			continue
		}
		for _, node := range list.Content {
			im.filterKeys(file, node, "node")
			im.testList(file, get(node, "tests"))
			im.testList(file, get(node, "data_tests"))
			if cols := get(node, "columns"); cols != nil {
				for _, col := range cols.Content {
					im.filterKeys(file, col, "column")
					im.testList(file, get(col, "tests"))
					im.testList(file, get(col, "data_tests"))
				}
			}
			if cfg := get(node, "config"); cfg != nil {
				im.configTree(file, cfg)
			}
		}
	}
	if srcs := get(root, "sources"); srcs != nil {
		for _, s := range srcs.Content {
			for _, t := range contentOf(get(s, "tables")) {
				im.testList(file, get(t, "tests"))
				im.testList(file, get(t, "data_tests"))
				for _, col := range contentOf(get(t, "columns")) {
					im.testList(file, get(col, "tests"))
					im.testList(file, get(col, "data_tests"))
				}
			}
		}
	}
	im.yamlStrings(file, root)
	return encode(&doc)
}

func contentOf(n *yaml.Node) []*yaml.Node {
	if n == nil {
		return nil
	}
	return n.Content
}

// filterKeys drops keys dwm does not read, with a note.
func (im *importer) filterKeys(file string, n *yaml.Node, level string) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	known := knownProps[level]
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if known[k.Value] {
			kept = append(kept, k, n.Content[i+1])
			continue
		}
		if k.Value == "versions" || k.Value == "latest_version" {
			im.problemf(file, k.Line, k.Column, k.Value, "model versions have no dwm equivalent")
			kept = append(kept, k, n.Content[i+1])
			continue
		}
		im.note(fmt.Sprintf("%s:%d: %s dropped: dwm does not read it", file, k.Line, k.Value))
	}
	n.Content = kept
}

// testList checks each test's name: a dwm built-in (dbt's four, dbt_utils' common ones) or a
// generic test of the project.
func (im *importer) testList(file string, n *yaml.Node) {
	if n == nil {
		return
	}
	for _, t := range n.Content {
		name, at := t.Value, t
		if t.Kind == yaml.MappingNode && len(t.Content) >= 2 {
			name, at = t.Content[0].Value, t.Content[0]
			if tn := get(t, "test_name"); tn != nil {
				name, at = tn.Value, tn
			}
		}
		short := strings.TrimPrefix(name, "dbt_utils.")
		if _, ok := generic.Lookup(short); ok {
			continue
		}
		if m, ok := im.macros[name]; ok && m.Test {
			continue
		}
		im.problemf(file, at.Line, at.Column, name, "test %s is neither a dwm built-in (%s) nor a generic test of this project",
			name, strings.Join(generic.Names(), ", "))
	}
}
