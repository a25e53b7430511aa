package project

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/dwmhq/dwm/engine/dtest/generic"
	"github.com/dwmhq/dwm/engine/manifest"
)

// genericTests turns the tests declared in YAML on models, seeds, sources and their columns into
// test nodes attached to the tested node. Names, arguments and relationships targets are checked
// here, so a typo stops the command before anything runs.
func (b *builder) genericTests(tree *configTree) error {
	var tested []*manifest.Node
	for _, id := range b.m.SortedIDs() {
		switch n := b.m.Nodes[id]; n.ResourceType {
		case manifest.Model, manifest.Seed, manifest.Snapshot, manifest.Source:
			tested = append(tested, n)
		}
	}
	for _, n := range tested {
		for _, spec := range n.Tests {
			if err := b.genericTest(n, "", spec, tree); err != nil {
				return err
			}
		}
		for _, c := range n.Columns {
			for _, spec := range c.Tests {
				if err := b.genericTest(n, c.Name, spec, tree); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (b *builder) genericTest(parent *manifest.Node, column string, spec manifest.TestSpec, tree *configTree) error {
	pos := fmt.Sprintf("%s:%d:%d", spec.File, spec.Line, spec.Column)
	on := describeTested(parent, column)
	args := map[string]any{}
	for k, v := range spec.Args {
		args[k] = v
	}
	customName, _ := args["__name__"].(string)
	delete(args, "__name__")
	if column == "" {
		if c, ok := args["column_name"].(string); ok {
			column = c
		}
	}
	delete(args, "column_name")
	testName := strings.TrimPrefix(spec.Name, "dbt_utils.")
	def, builtin := generic.Lookup(testName)
	custom := b.p.Macros.Has(spec.Name)
	switch {
	case custom:
		// A project's own definition wins over a built-in of the same name, as in dbt.
		testName, builtin = spec.Name, false
	case builtin:
		if err := def.CheckArgs(args, column); err != nil {
			return fmt.Errorf("%s: %s: %w", pos, on, err)
		}
	default:
		hint := ""
		if s := near(spec.Name, append(generic.Names(), b.p.Macros.Names()...)); s != "" {
			hint = "; did you mean " + s + "?"
		}
		return fmt.Errorf("%s: %s: unknown test %q%s (built-in tests: %s; or define it in tests/generic/*.sql)",
			pos, on, spec.Name, hint, strings.Join(generic.Names(), ", "))
	}
	deps := map[string]bool{parent.UniqueID: true}
	if builtin && testName == "relationships" {
		to, err := b.relationTarget(args["to"])
		if err != nil {
			return fmt.Errorf("%s: %s: relationships: %w", pos, on, err)
		}
		deps[to] = true
	}
	if custom {
		closure, err := b.p.Macros.Closure([]string{spec.Name})
		if err != nil {
			return fmt.Errorf("%s: %s: %w", pos, on, err)
		}
		for _, r := range closure.Refs {
			t := b.m.ByName(r.Args[0].(string))
			if t == nil {
				return fmt.Errorf("%s:%d:%d: ref %q: no model or seed of that name", r.File, r.Line, r.Col, r.Args[0])
			}
			deps[t.UniqueID] = true
		}
		for _, s := range closure.Sources {
			id := "source." + b.m.Project + "." + s.Args[0].(string) + "." + s.Args[1].(string)
			if _, ok := b.m.Nodes[id]; !ok {
				return fmt.Errorf("%s:%d:%d: source %s.%s is not declared in any sources: block", s.File, s.Line, s.Col, s.Args[0], s.Args[1])
			}
			deps[id] = true
		}
	}
	name := customName
	if name == "" {
		name = genericTestName(testName, parent, column, args)
	}
	n := &manifest.Node{Name: name, ResourceType: manifest.Test, Path: spec.File, UniqueID: "test." + b.m.Project + "." + name}
	if _, dup := b.m.Nodes[n.UniqueID]; dup {
		return fmt.Errorf("%s: %s: test %s is declared twice (give one a different `name:`)", pos, on, name)
	}
	n.FQN = append(append([]string{}, parent.FQN[:len(parent.FQN)-1]...), name)
	for k := range spec.Config {
		if !b.known[k] {
			return fmt.Errorf("%s: %s: test %s: unknown config key %q", pos, on, testName, k)
		}
	}
	cfg, err := b.resolveConfig(pos, n.FQN, tree, spec.Config, nil)
	if err != nil {
		return err
	}
	if !cfg.Enabled {
		return nil
	}
	for _, c := range []string{cfg.WarnIf, cfg.ErrorIf} {
		if _, err := generic.ParseCondition(c); err != nil {
			return fmt.Errorf("%s: %s: test %s: %w", pos, on, testName, err)
		}
	}
	cfg.Materialized = "test"
	n.Config = cfg
	b.place(n)
	n.Test = &manifest.TestInfo{Name: testName, Kwargs: args, ColumnName: column, AttachedTo: parent.UniqueID}
	for d := range deps {
		n.DependsOn = append(n.DependsOn, d)
	}
	sort.Strings(n.DependsOn)
	b.m.Nodes[n.UniqueID] = n
	return nil
}

// relationTarget resolves a relationships `to` argument to the node it names.
func (b *builder) relationTarget(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("to must be a string like ref('customers'), got %v", v)
	}
	r, err := generic.ParseRelationArg(s)
	if err != nil {
		return "", err
	}
	return b.resolveRelation(r)
}

// resolveRelation finds the node a ref('x') or source('s', 't') written in YAML names.
func (b *builder) resolveRelation(r generic.RelationArg) (string, error) {
	if r.Source != "" {
		id := "source." + b.m.Project + "." + r.Source + "." + r.Name
		if _, ok := b.m.Nodes[id]; !ok {
			return "", fmt.Errorf("%s is not declared in any sources: block", r)
		}
		return id, nil
	}
	if t := b.m.ByName(r.Name); t != nil {
		return t.UniqueID, nil
	}
	return "", fmt.Errorf("%s: no model or seed of that name%s", r, b.hint(r.Name))
}

func describeTested(n *manifest.Node, column string) string {
	s := string(n.ResourceType) + " " + n.Name
	if n.Source != nil {
		s = "source " + n.Source.SourceName + "." + n.Name
	}
	if column != "" {
		s += " column " + column
	}
	return s
}

var unsafeNameRe = regexp.MustCompile(`[^A-Za-z0-9_]+`)

// genericTestName follows dbt: test_model_column, "source_" and the source name for sources, and a
// short hash of the arguments when there are any, so two tests that differ only in arguments
// get distinct, stable names.
func genericTestName(test string, parent *manifest.Node, column string, args map[string]any) string {
	parts := []string{test}
	if parent.Source != nil {
		parts = []string{"source", test, parent.Source.SourceName}
	}
	parts = append(parts, parent.Name)
	if column != "" {
		parts = append(parts, column)
	}
	name := strings.Trim(unsafeNameRe.ReplaceAllString(strings.Join(parts, "_"), "_"), "_")
	if len(args) > 0 {
		data, _ := json.Marshal(args) // map keys are sorted, so the hash is deterministic
		sum := sha256.Sum256(data)
		name += "_" + hex.EncodeToString(sum[:])[:10]
	}
	return name
}
