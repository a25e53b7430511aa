package project

import (
	"fmt"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/tmpl"
	"gopkg.in/yaml.v3"
)

// readProps parses every property file and indexes model and seed properties by name.
func (b *builder) readProps(props map[string][]byte) error {
	b.modelProps = map[string]propsAt{}
	b.seedProps = map[string]propsAt{}
	b.snapProps = map[string]propsAt{}
	parsed, err := parsePropsAll(props)
	if err != nil {
		return err
	}
	b.parsedProps = parsed
	for _, file := range sortedPaths(props) {
		pf, lines := parsed[file].pf, parsed[file].lines
		for kind, list := range map[string][]nodeProps{"models": pf.Models, "seeds": pf.Seeds, "snapshots": pf.Snapshots} {
			idx := map[string]map[string]propsAt{"models": b.modelProps, "seeds": b.seedProps, "snapshots": b.snapProps}[kind]
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

// parsePropsAll decodes property files in parallel, since YAML decoding dominates loading a large
// project; the first error in path order wins, so errors are stable.
func parsePropsAll(props map[string][]byte) (map[string]parsedProp, error) {
	paths := sortedPaths(props)
	out := make([]parsedProp, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	next := make(chan int, len(paths))
	for i := range paths {
		next <- i
	}
	close(next)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i].pf, out[i].lines, errs[i] = decodeProps(paths[i], props[paths[i]])
			}
		}()
	}
	wg.Wait()
	res := make(map[string]parsedProp, len(paths))
	for i, p := range paths {
		if errs[i] != nil {
			return nil, errs[i]
		}
		res[p] = out[i]
	}
	return res, nil
}

// sources turns `sources:` blocks into source nodes.
func (b *builder) sources(props map[string][]byte) error {
	for _, file := range sortedPaths(props) {
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
				if err := sourceFreshness(file, n.Source, s.Loaded, &s.Freshness, t.Loaded, &t.Freshness); err != nil {
					return err
				}
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
func (b *builder) singularTests(srcs map[string][]byte, tree *configTree) error {
	tpls, err := parseAll(b.p.Engine, srcs, b.p.Macros)
	if err != nil {
		return err
	}
	for _, file := range sortedPaths(srcs) {
		name := strings.TrimSuffix(path.Base(file), ".sql")
		n := &manifest.Node{Name: name, ResourceType: manifest.Test, Path: file, RawCode: string(srcs[file]), Checksum: checksum(srcs[file])}
		n.UniqueID = "test." + b.m.Project + "." + name
		if _, dup := b.m.Nodes[n.UniqueID]; dup {
			return fmt.Errorf("%s: test name %q is used twice", file, name)
		}
		n.FQN = b.fqn(file, name, b.p.File.TestPaths)
		fileCfg := map[string]any{}
		for _, c := range tpls[file].Static.Configs {
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
		for _, r := range tpls[file].Static.Refs {
			n.Refs = append(n.Refs, r.Args[0].(string))
		}
		for _, s := range tpls[file].Static.Sources {
			n.Sources = append(n.Sources, manifest.SourceRef{Source: s.Args[0].(string), Table: s.Args[1].(string)})
		}
		b.m.Nodes[n.UniqueID] = n
		b.p.Templates[n.UniqueID] = tpls[file]
	}
	return nil
}

// resolveDeps turns refs and sources (including those inside called macros) into DependsOn,
// reporting an unknown name at the position of the call.
func (b *builder) resolveDeps() error {
	names := []string{}
	for _, n := range b.m.Nodes {
		if n.ResourceType == manifest.Model || n.ResourceType == manifest.Seed || n.ResourceType == manifest.Snapshot {
			names = append(names, n.Name)
		}
	}
	for _, id := range b.m.SortedIDs() {
		n := b.m.Nodes[id]
		tp := b.p.Templates[id]
		if tp == nil {
			continue
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
	}
	return nil
}
