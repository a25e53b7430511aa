package project

import (
	"fmt"

	"github.com/dwmhq/dwm/engine/manifest"
	"gopkg.in/yaml.v3"
)

// propsFile is a YAML property file (dbt's "schema.yml"), version 2.
type propsFile struct {
	Version   any           `yaml:"version"`
	Models    []nodeProps   `yaml:"models"`
	Seeds     []nodeProps   `yaml:"seeds"`
	Snapshots []nodeProps   `yaml:"snapshots"`
	Sources   []sourceProps `yaml:"sources"`
	UnitTests []yaml.Node   `yaml:"unit_tests"`
	Macros    []yaml.Node   `yaml:"macros"`
	Exposures []yaml.Node   `yaml:"exposures"`
}

type nodeProps struct {
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	Config      yaml.Node      `yaml:"config"`
	Columns     []columnProps  `yaml:"columns"`
	Tests       []yaml.Node    `yaml:"tests"`
	DataTests   []yaml.Node    `yaml:"data_tests"`
	Meta        map[string]any `yaml:"meta"`
	Docs        any            `yaml:"docs"`
	Line        int            `yaml:"-"`
}

type columnProps struct {
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	DataType    string         `yaml:"data_type"`
	Tests       []yaml.Node    `yaml:"tests"`
	DataTests   []yaml.Node    `yaml:"data_tests"`
	Meta        map[string]any `yaml:"meta"`
	Quote       any            `yaml:"quote"`
	Constraints yaml.Node      `yaml:"constraints"`
	Tags        []string       `yaml:"tags"`
}

type sourceProps struct {
	Name        string         `yaml:"name"`
	Description string         `yaml:"description"`
	Database    string         `yaml:"database"`
	Schema      string         `yaml:"schema"`
	Meta        map[string]any `yaml:"meta"`
	Tags        []string       `yaml:"tags"`
	Config      yaml.Node      `yaml:"config"`
	Loaded      string         `yaml:"loaded_at_field"`
	Freshness   yaml.Node      `yaml:"freshness"`
	Tables      []struct {
		Name        string         `yaml:"name"`
		Identifier  string         `yaml:"identifier"`
		Description string         `yaml:"description"`
		Columns     []columnProps  `yaml:"columns"`
		Tests       []yaml.Node    `yaml:"tests"`
		DataTests   []yaml.Node    `yaml:"data_tests"`
		Meta        map[string]any `yaml:"meta"`
		Tags        []string       `yaml:"tags"`
		Config      yaml.Node      `yaml:"config"`
		Loaded      string         `yaml:"loaded_at_field"`
		Freshness   yaml.Node      `yaml:"freshness"`
	} `yaml:"tables"`
}

// configMap decodes a `config:` mapping, rejecting unknown keys with their position.
func configMap(file string, n *yaml.Node, known map[string]bool) (map[string]any, error) {
	out := map[string]any{}
	if n == nil || n.Kind == 0 {
		return out, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d:%d: config must be a mapping", file, n.Line, n.Column)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !known[k.Value] {
			return nil, unknownKey(file, k, k.Value, known)
		}
		var val any
		if err := v.Decode(&val); err != nil {
			return nil, fmt.Errorf("%s:%d:%d: %s: %v", file, v.Line, v.Column, k.Value, err)
		}
		out[k.Value] = val
	}
	return out, nil
}

// testSpecs parses a tests list: "not_null", {unique: {config: ...}}, {accepted_values: {values: [...]}}
// or dbt 1.10's {accepted_values: {arguments: {values: [...]}, config: {...}}}.
func testSpecs(file string, nodes []yaml.Node) ([]manifest.TestSpec, error) {
	var out []manifest.TestSpec
	for i := range nodes {
		n := &nodes[i]
		spec := manifest.TestSpec{File: file, Line: n.Line, Column: n.Column}
		switch n.Kind {
		case yaml.ScalarNode:
			spec.Name = n.Value
		case yaml.MappingNode:
			if len(n.Content) != 2 {
				return nil, fmt.Errorf("%s:%d:%d: a test is a name or a mapping of one test name to its arguments", file, n.Line, n.Column)
			}
			spec.Name = n.Content[0].Value
			var args map[string]any
			if err := n.Content[1].Decode(&args); err != nil {
				return nil, fmt.Errorf("%s:%d:%d: test %s: arguments must be a mapping: %v", file, n.Line, n.Column, spec.Name, err)
			}
			spec.Args = map[string]any{}
			for k, v := range args {
				switch k {
				case "config":
					m, ok := v.(map[string]any)
					if !ok {
						return nil, fmt.Errorf("%s:%d:%d: test %s: config must be a mapping", file, n.Line, n.Column, spec.Name)
					}
					spec.Config = m
				case "arguments":
					m, ok := v.(map[string]any)
					if !ok {
						return nil, fmt.Errorf("%s:%d:%d: test %s: arguments must be a mapping", file, n.Line, n.Column, spec.Name)
					}
					for kk, vv := range m {
						spec.Args[kk] = vv
					}
				case "name":
					spec.Args["__name__"] = v
				case "severity", "warn_if", "error_if", "where", "limit", "store_failures", "tags", "enabled":
					// dbt accepts these test configs beside the arguments.
					if spec.Config == nil {
						spec.Config = map[string]any{}
					}
					spec.Config[k] = v
				default:
					spec.Args[k] = v
				}
			}
		default:
			return nil, fmt.Errorf("%s:%d:%d: a test is a name or a mapping of one test name to its arguments", file, n.Line, n.Column)
		}
		out = append(out, spec)
	}
	return out, nil
}

func columns(file string, cols []columnProps) ([]manifest.Column, error) {
	var out []manifest.Column
	for _, c := range cols {
		tests, err := testSpecs(file, append(append([]yaml.Node{}, c.Tests...), c.DataTests...))
		if err != nil {
			return nil, err
		}
		cons, err := constraints(file, c.Name, &c.Constraints)
		if err != nil {
			return nil, err
		}
		out = append(out, manifest.Column{Name: c.Name, Description: c.Description, DataType: c.DataType, Constraints: cons, Tests: tests, Meta: c.Meta})
	}
	return out, nil
}

// constraints reads a column's dbt constraints list, [{type: not_null}]. ClickHouse enforces
// only nullability at the column level, so not_null is the one type dwm accepts; the others are
// refused rather than silently ignored.
func constraints(file, column string, n *yaml.Node) ([]string, error) {
	if n.Kind == 0 {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d:%d: column %s: constraints must be a list like [{type: not_null}]", file, n.Line, n.Column, column)
	}
	var out []string
	for _, item := range n.Content {
		var c struct {
			Type string `yaml:"type"`
		}
		if item.Kind != yaml.MappingNode || item.Decode(&c) != nil || c.Type == "" {
			return nil, fmt.Errorf("%s:%d:%d: column %s: a constraint is a mapping with a type, like {type: not_null}", file, item.Line, item.Column, column)
		}
		if c.Type != "not_null" {
			return nil, fmt.Errorf("%s:%d:%d: column %s: constraint type %q is not supported (ClickHouse enforces only not_null on a column)", file, item.Line, item.Column, column, c.Type)
		}
		out = append(out, c.Type)
	}
	return out, nil
}
