package project

import (
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/dtest/generic"
	"github.com/dwmhq/dwm/engine/manifest"
	"gopkg.in/yaml.v3"
)

// UnitTest is one parsed unit_tests entry: a model run on fixed input rows and the rows it must return.
type UnitTest struct {
	ID     string
	Name   string
	Model  string // the tested model's unique ID
	File   string
	Line   int
	Given  []UnitTestInput
	Expect UnitTestRows
	// Vars override project vars while the model renders (overrides: {vars: ...}).
	Vars map[string]any
}

// UnitTestInput is one given: the relation it replaces and its rows.
type UnitTestInput struct {
	Input    string // as written, e.g. "ref('orders')"
	Relation generic.RelationArg
	NodeID   string // the node the relation names
	Line     int
	UnitTestRows
}

// UnitTestRows are fixture rows. Columns is the order in which names first appear. Values are
// what YAML decoded (string, int, float64, bool, nil); csv rows are strings. With format sql, SQL
// holds a query that produces the rows instead.
type UnitTestRows struct {
	Format  string
	Columns []string
	Rows    []map[string]any
	SQL     string
}

type rawUnitTest struct {
	Name        string         `yaml:"name"`
	Model       string         `yaml:"model"`
	Description string         `yaml:"description"`
	Given       []yaml.Node    `yaml:"given"`
	Expect      yaml.Node      `yaml:"expect"`
	Overrides   yaml.Node      `yaml:"overrides"`
	Config      map[string]any `yaml:"config"`
}

// unitTests parses the unit_tests entries into nodes of type unit_test that depend on their model
// (so selecting the model selects them) and into Project.UnitTestDefs for the runner.
func (b *builder) unitTests() error {
	b.p.UnitTestDefs = map[string]*UnitTest{}
	for _, raw := range b.p.UnitTests {
		ut, n, err := b.unitTest(raw)
		if err != nil {
			return err
		}
		if n == nil {
			continue
		}
		b.m.Nodes[n.UniqueID] = n
		b.p.UnitTestDefs[n.UniqueID] = ut
	}
	return nil
}

func (b *builder) unitTest(raw RawUnitTest) (*UnitTest, *manifest.Node, error) {
	file, line := raw.File, raw.Node.Line
	at := func(l int, format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", file, l, fmt.Sprintf(format, a...))
	}
	var r rawUnitTest
	if err := raw.Node.Decode(&r); err != nil {
		return nil, nil, at(line, "unit test: %v", err)
	}
	if r.Name == "" || r.Model == "" {
		return nil, nil, at(line, "a unit test needs a name and a model")
	}
	model := b.m.ByName(r.Model)
	if model == nil || model.ResourceType != manifest.Model {
		return nil, nil, at(line, "unit test %s: model %q does not exist%s", r.Name, r.Model, b.hint(r.Model))
	}
	ut := &UnitTest{ID: "unit_test." + b.m.Project + "." + model.Name + "." + r.Name, Name: r.Name, Model: model.UniqueID, File: file, Line: line}
	if _, dup := b.m.Nodes[ut.ID]; dup {
		return nil, nil, at(line, "unit test %s of model %s is declared twice", r.Name, model.Name)
	}
	for i := range r.Given {
		g := &r.Given[i]
		in, err := b.unitInput(file, g)
		if err != nil {
			return nil, nil, fmt.Errorf("unit test %s: %w", r.Name, err)
		}
		ut.Given = append(ut.Given, in)
	}
	if r.Expect.Kind == 0 {
		return nil, nil, at(line, "unit test %s: expect is required", r.Name)
	}
	exp, err := fixtureRows(file, &r.Expect)
	if err != nil {
		return nil, nil, fmt.Errorf("unit test %s: expect: %w", r.Name, err)
	}
	ut.Expect = exp
	if r.Overrides.Kind != 0 {
		var ov struct {
			Vars    map[string]any `yaml:"vars"`
			Macros  map[string]any `yaml:"macros"`
			EnvVars map[string]any `yaml:"env_vars"`
		}
		if err := r.Overrides.Decode(&ov); err != nil {
			return nil, nil, at(r.Overrides.Line, "unit test %s: overrides: %v", r.Name, err)
		}
		if len(ov.Macros) > 0 || len(ov.EnvVars) > 0 {
			return nil, nil, at(r.Overrides.Line, "unit test %s: dwm overrides only vars", r.Name)
		}
		ut.Vars = ov.Vars
	}
	n := &manifest.Node{UniqueID: ut.ID, Name: r.Name, ResourceType: manifest.UnitTest, Path: file, Description: r.Description,
		DependsOn: []string{model.UniqueID}, Database: model.Database, Alias: model.Alias}
	n.FQN = append(append([]string{}, model.FQN...), r.Name)
	cfg, err := typedConfig(r.Config)
	if err != nil {
		return nil, nil, at(line, "unit test %s: %v", r.Name, err)
	}
	if !cfg.Enabled {
		return nil, nil, nil
	}
	cfg.Materialized = "unit_test"
	n.Config = cfg
	n.Test = &manifest.TestInfo{AttachedTo: model.UniqueID}
	return ut, n, nil
}

func (b *builder) unitInput(file string, g *yaml.Node) (UnitTestInput, error) {
	var in UnitTestInput
	in.Line = g.Line
	if g.Kind != yaml.MappingNode {
		return in, fmt.Errorf("%s:%d: a given entry is a mapping with input and rows", file, g.Line)
	}
	if v := mapValue(g, "input"); v != nil {
		in.Input = v.Value
	}
	if in.Input == "" {
		return in, fmt.Errorf("%s:%d: given entry without input (e.g. input: ref('orders'))", file, g.Line)
	}
	rel, err := generic.ParseRelationArg(in.Input)
	if err != nil {
		return in, fmt.Errorf("%s:%d: input: %w", file, g.Line, err)
	}
	in.Relation = rel
	if in.NodeID, err = b.resolveRelation(rel); err != nil {
		return in, fmt.Errorf("%s:%d: input: %w", file, g.Line, err)
	}
	rows, err := fixtureRows(file, g)
	if err != nil {
		return in, fmt.Errorf("input %s: %w", in.Input, err)
	}
	in.UnitTestRows = rows
	return in, nil
}

// fixtureRows reads `format` and `rows` from a given or expect mapping. Rows are read from the
// YAML nodes rather than decoded into maps so the column order is the order written.
func fixtureRows(file string, m *yaml.Node) (UnitTestRows, error) {
	out := UnitTestRows{Format: "dict"}
	if m.Kind != yaml.MappingNode {
		return out, fmt.Errorf("%s:%d: expected a mapping with rows", file, m.Line)
	}
	if f := mapValue(m, "format"); f != nil {
		out.Format = f.Value
	}
	rows := mapValue(m, "rows")
	switch out.Format {
	case "dict":
		if rows == nil {
			return out, nil
		}
		if rows.Kind != yaml.SequenceNode {
			return out, fmt.Errorf("%s:%d: rows must be a list of mappings (or set format: csv)", file, rows.Line)
		}
		seen := map[string]bool{}
		for _, r := range rows.Content {
			if r.Kind != yaml.MappingNode {
				return out, fmt.Errorf("%s:%d: each row is a mapping of column to value", file, r.Line)
			}
			row := map[string]any{}
			for i := 0; i+1 < len(r.Content); i += 2 {
				k := r.Content[i].Value
				var v any
				if err := r.Content[i+1].Decode(&v); err != nil {
					return out, fmt.Errorf("%s:%d: %s: %v", file, r.Content[i+1].Line, k, err)
				}
				row[k] = v
				if !seen[k] {
					seen[k] = true
					out.Columns = append(out.Columns, k)
				}
			}
			out.Rows = append(out.Rows, row)
		}
	case "csv":
		if rows == nil {
			return out, nil
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimSpace(rows.Value))).ReadAll()
		if err != nil {
			return out, fmt.Errorf("%s:%d: csv rows: %v", file, rows.Line, err)
		}
		if len(recs) == 0 {
			return out, nil
		}
		out.Columns = recs[0]
		for _, rec := range recs[1:] {
			row := map[string]any{}
			for i, c := range out.Columns {
				if i < len(rec) {
					row[c] = rec[i]
				}
			}
			out.Rows = append(out.Rows, row)
		}
	case "sql":
		if rows == nil || rows.Kind != yaml.ScalarNode {
			return out, fmt.Errorf("%s:%d: with format sql, rows is a query", file, m.Line)
		}
		out.SQL = rows.Value
	default:
		return out, fmt.Errorf("%s:%d: format must be dict, csv or sql, not %q", file, m.Line, out.Format)
	}
	return out, nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
