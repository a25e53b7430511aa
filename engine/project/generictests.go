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
	"github.com/dwmhq/dwm/internal/parallel"
)

// genericTests turns the tests declared in YAML on models, seeds, sources and their columns into
// test nodes attached to the tested node. Names, arguments and relationships targets are checked
// here, so a typo stops the command before anything runs.
func (b *builder) genericTests(tree *configTree) error {
	type item struct {
		parent *manifest.Node
		column string
		spec   manifest.TestSpec
	}
	var items []item
	for _, id := range b.m.SortedIDs() {
		switch n := b.m.Nodes[id]; n.ResourceType {
		case manifest.Model, manifest.Seed, manifest.Source:
			for _, spec := range n.Tests {
				items = append(items, item{n, "", spec})
			}
			for _, c := range n.Columns {
				for _, spec := range c.Tests {
					items = append(items, item{n, c.Name, spec})
				}
			}
		}
	}
	// Each test is checked and configured in parallel (reading only the tested nodes); adding
	// them, with the check for a name used twice, goes in order, so the first error is the one
	// a test-by-test pass would meet.
	made := make([]madeTest, len(items))
	_ = parallel.ForEach(len(items), func(i int) error {
		made[i] = b.genericTest(items[i].parent, items[i].column, items[i].spec, tree)
		return nil
	})
	for _, t := range made {
		if t.before != nil {
			return t.before
		}
		if _, dup := b.m.Nodes[t.node.UniqueID]; dup {
			return fmt.Errorf("%s: %s: test %s is declared twice (give one a different `name:`)", t.pos, t.on, t.node.Name)
		}
		if t.after != nil {
			return t.after
		}
		if t.node.Config.Enabled {
			b.m.Nodes[t.node.UniqueID] = t.node
		}
	}
	return nil
}

// madeTest is one generic test node, or why it cannot be: before are the errors found before
// its name is known (a test name twice is checked next, in order), after those found later.
type madeTest struct {
	node          *manifest.Node
	pos, on       string
	before, after error
}

func (b *builder) genericTest(parent *manifest.Node, column string, spec manifest.TestSpec, tree *configTree) madeTest {
	pos := fmt.Sprintf("%s:%d:%d", spec.File, spec.Line, spec.Column)
	on := describeTested(parent, column)
	fail := func(err error) madeTest { return madeTest{before: err} }
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
			return fail(fmt.Errorf("%s: %s: %w", pos, on, err))
		}
	default:
		hint := ""
		if s := near(spec.Name, append(generic.Names(), b.p.Macros.Names()...)); s != "" {
			hint = "; did you mean " + s + "?"
		}
		return fail(fmt.Errorf("%s: %s: unknown test %q%s (built-in tests: %s; or define it in tests/generic/*.sql)",
			pos, on, spec.Name, hint, strings.Join(generic.Names(), ", ")))
	}
	deps := map[string]bool{parent.UniqueID: true}
	if builtin && testName == "relationships" {
		to, err := b.relationTarget(args["to"])
		if err != nil {
			return fail(fmt.Errorf("%s: %s: relationships: %w", pos, on, err))
		}
		deps[to] = true
	}
	if custom {
		closure, err := b.p.Macros.Closure([]string{spec.Name})
		if err != nil {
			return fail(fmt.Errorf("%s: %s: %w", pos, on, err))
		}
		for _, r := range closure.Refs {
			t := b.m.ByName(r.Args[0].(string))
			if t == nil {
				return fail(fmt.Errorf("%s:%d:%d: ref %q: no model or seed of that name", r.File, r.Line, r.Col, r.Args[0]))
			}
			deps[t.UniqueID] = true
		}
		for _, s := range closure.Sources {
			id := "source." + b.m.Project + "." + s.Args[0].(string) + "." + s.Args[1].(string)
			if _, ok := b.m.Nodes[id]; !ok {
				return fail(fmt.Errorf("%s:%d:%d: source %s.%s is not declared in any sources: block", s.File, s.Line, s.Col, s.Args[0], s.Args[1]))
			}
			deps[id] = true
		}
	}
	name := customName
	if name == "" {
		name = genericTestName(testName, parent, column, args)
	}
	n := &manifest.Node{Name: name, ResourceType: manifest.Test, Path: spec.File, UniqueID: "test." + b.m.Project + "." + name}
	t := madeTest{node: n, pos: pos, on: on}
	n.FQN = append(append([]string{}, parent.FQN[:len(parent.FQN)-1]...), name)
	for k := range spec.Config {
		if !b.known[k] {
			t.after = fmt.Errorf("%s: %s: test %s: unknown config key %q", pos, on, testName, k)
			return t
		}
	}
	cfg, err := b.resolveConfig(pos, n.FQN, tree, spec.Config, nil)
	if err != nil {
		t.after = err
		return t
	}
	if !cfg.Enabled {
		n.Config.Enabled = false
		return t
	}
	for _, c := range []string{cfg.WarnIf, cfg.ErrorIf} {
		if c == "" {
			continue // the default condition
		}
		if _, err := generic.ParseCondition(c); err != nil {
			t.after = fmt.Errorf("%s: %s: test %s: %w", pos, on, testName, err)
			return t
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
	return t
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

// isNameRune is what unsafeNameRe keeps.
func isNameRune(r rune) bool {
	return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

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
	name := strings.Join(parts, "_")
	if strings.ContainsFunc(name, func(r rune) bool { return !isNameRune(r) }) {
		name = unsafeNameRe.ReplaceAllString(name, "_")
	}
	name = strings.Trim(name, "_")
	if len(args) > 0 {
		data, _ := json.Marshal(args) // map keys are sorted, so the hash is deterministic
		sum := sha256.Sum256(data)
		name += "_" + hex.EncodeToString(sum[:])[:10]
	}
	return name
}
