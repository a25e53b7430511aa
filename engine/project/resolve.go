package project

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/tmpl"
	"github.com/dwmhq/dwm/internal/parallel"
	"gopkg.in/yaml.v3"
)

// readProps indexes model and seed properties of the decoded property files by name.
func (b *builder) readProps(ld *loaded) error {
	b.modelProps = map[string]propsAt{}
	b.seedProps = map[string]propsAt{}
	if ld.propsErr != nil {
		return ld.propsErr
	}
	b.parsedProps = ld.props
	for _, file := range sortedPaths(ld.props) {
		pf, lines := ld.props[file].pf, ld.props[file].lines
		for kind, list := range map[string][]nodeProps{"models": pf.Models, "seeds": pf.Seeds} {
			idx := b.modelProps
			if kind == "seeds" {
				idx = b.seedProps
			}
			for i := range list {
				np := &list[i]
				if i < len(lines[kind]) {
					np.Line = lines[kind][i]
				}
				if np.Name == "" {
					return fmt.Errorf("%s:%d: %s entry without a name", file, np.Line, kind)
				}
				if prev, dup := idx[np.Name]; dup {
					return fmt.Errorf("%s:%d: %s %q already has properties in %s:%d", file, np.Line, strings.TrimSuffix(kind, "s"), np.Name, prev.file, prev.props.Line)
				}
				idx[np.Name] = propsAt{file: file, props: np}
			}
		}
		for i := range pf.UnitTests {
			b.p.UnitTests = append(b.p.UnitTests, RawUnitTest{File: file, Node: &pf.UnitTests[i]})
		}
	}
	return nil
}

// parsedProp is one property file, decoded once and shared by readProps and sources.
type parsedProp struct {
	pf    *propsFile
	lines map[string][]int
}

// sources turns `sources:` blocks into source nodes.
func (b *builder) sources() error {
	for _, file := range sortedPaths(b.parsedProps) {
		pf := b.parsedProps[file].pf
		for _, s := range pf.Sources {
			if s.Name == "" {
				return fmt.Errorf("%s: a source needs a name", file)
			}
			db := s.Database
			if db == "" {
				db = s.Schema
			}
			if db == "" {
				db = b.p.Target.Database
			}
			for _, t := range s.Tables {
				n := &manifest.Node{Name: t.Name, ResourceType: manifest.Source, Path: file, Description: t.Description,
					Database: db, Alias: t.Identifier, Meta: t.Meta, Source: &manifest.SourceInfo{SourceName: s.Name, Identifier: t.Identifier}}
				if n.Alias == "" {
					n.Alias = t.Name
					n.Source.Identifier = t.Name
				}
				n.UniqueID = "source." + b.m.Project + "." + s.Name + "." + t.Name
				n.FQN = []string{b.m.Project, s.Name, t.Name}
				n.Config = manifest.Config{Enabled: true, Tags: unionStrings(s.Tags, t.Tags)}
				if _, dup := b.m.Nodes[n.UniqueID]; dup {
					return fmt.Errorf("%s: source %s.%s is declared twice", file, s.Name, t.Name)
				}
				cols, err := columns(file, t.Columns)
				if err != nil {
					return err
				}
				n.Columns = cols
				if n.Tests, err = testSpecs(file, append(append([]yaml.Node{}, t.Tests...), t.DataTests...)); err != nil {
					return err
				}
				b.m.Nodes[n.UniqueID] = n
			}
		}
	}
	return nil
}

// singularTests makes a test node of each tests/**/*.sql that is not a generic test definition.
func (b *builder) singularTests(ld *loaded, tree *configTree) error {
	if ld.testsErr != nil {
		return ld.testsErr
	}
	for _, file := range sortedPaths(ld.tests) {
		src, tp := ld.tests[file].src, ld.tests[file].tp
		name := strings.TrimSuffix(path.Base(file), ".sql")
		n := &manifest.Node{Name: name, ResourceType: manifest.Test, Path: file, RawCode: src, Checksum: checksum(src)}
		n.UniqueID = "test." + b.m.Project + "." + name
		if _, dup := b.m.Nodes[n.UniqueID]; dup {
			return fmt.Errorf("%s: test name %q is used twice", file, name)
		}
		n.FQN = b.fqn(file, name, b.p.File.TestPaths)
		fileCfg := map[string]any{}
		for _, c := range tp.Static.Configs {
			for i := 0; i < len(c.Args); i += 2 {
				fileCfg[c.Args[i].(string)] = c.Args[i+1]
			}
		}
		cfg, err := b.resolveConfig(file, n.FQN, tree, nil, fileCfg)
		if err != nil {
			return err
		}
		if !cfg.Enabled {
			continue
		}
		cfg.Materialized = "test"
		n.Config = cfg
		n.Test = &manifest.TestInfo{}
		b.place(n)
		for _, r := range tp.Static.Refs {
			n.Refs = append(n.Refs, r.Args[0].(string))
		}
		for _, s := range tp.Static.Sources {
			n.Sources = append(n.Sources, manifest.SourceRef{Source: s.Args[0].(string), Table: s.Args[1].(string)})
		}
		b.m.Nodes[n.UniqueID] = n
		b.p.Templates[n.UniqueID] = tp
	}
	return nil
}

// resolveDeps turns refs and sources (including those inside called macros) into DependsOn,
// reporting an unknown name at the position of the call.
func (b *builder) resolveDeps() error {
	names := []string{}
	for _, n := range b.m.Nodes {
		if n.ResourceType == manifest.Model || n.ResourceType == manifest.Seed {
			names = append(names, n.Name)
		}
	}
	// Each node's dependencies are its own to write; nodes go in parallel, the first error in ID
	// order wins.
	ids := b.m.SortedIDs()
	return parallel.ForEach(len(ids), func(i int) error {
		n := b.m.Nodes[ids[i]]
		tp := b.p.Templates[ids[i]]
		if tp == nil {
			return nil
		}
		var macroNames []string
		for _, c := range tp.Static.Macros {
			macroNames = append(macroNames, c.Args[0].(string))
		}
		closure, err := b.p.Macros.Closure(macroNames)
		if err != nil {
			c := tp.Static.Macros[0]
			return &tmpl.PosError{File: n.Path, Line: c.Line, Col: c.Col, Msg: err.Error()}
		}
		deps := map[string]bool{}
		refs := append(append([]tmpl.Call{}, tp.Static.Refs...), closure.Refs...)
		for _, r := range refs {
			name := r.Args[0].(string)
			t := b.m.ByName(name)
			if t == nil {
				hint := ""
				if s := near(name, names); s != "" {
					hint = "; did you mean " + s + "?"
				}
				return &tmpl.PosError{File: r.File, Line: r.Line, Col: r.Col, Msg: fmt.Sprintf("ref %q: no model or seed of that name%s", name, hint)}
			}
			deps[t.UniqueID] = true
		}
		for _, s := range append(append([]tmpl.Call{}, tp.Static.Sources...), closure.Sources...) {
			id := "source." + b.m.Project + "." + s.Args[0].(string) + "." + s.Args[1].(string)
			if _, ok := b.m.Nodes[id]; !ok {
				return &tmpl.PosError{File: s.File, Line: s.Line, Col: s.Col, Msg: fmt.Sprintf("source %s.%s is not declared in any sources: block", s.Args[0], s.Args[1])}
			}
			deps[id] = true
		}
		delete(deps, n.UniqueID)
		n.DependsOn = make([]string, 0, len(deps))
		for d := range deps {
			n.DependsOn = append(n.DependsOn, d)
		}
		sort.Strings(n.DependsOn)
		return nil
	})
}
