package project

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/tmpl"
	"github.com/dwmhq/dwm/internal/parallel"
	"gopkg.in/yaml.v3"
)

// RawUnitTest is one unit_tests entry of a property file, kept as YAML for the test runner.
type RawUnitTest struct {
	File string
	Node *yaml.Node
}

// builder turns discovered files into manifest nodes.
type builder struct {
	p     *Project
	known map[string]bool
	opts  Options
	m     *manifest.Manifest
	// props by resource type and name, with the file they came from.
	modelProps  map[string]propsAt
	seedProps   map[string]propsAt
	parsedProps map[string]parsedProp
}

type propsAt struct {
	file  string
	props *nodeProps
}

func (b *builder) build(fsys fs.FS, fl *files) error {
	ld, err := loadFiles(fsys, b.p.Engine, b.p.Macros, fl)
	if err != nil {
		return err
	}
	if err := b.readProps(ld); err != nil {
		return err
	}
	trees := map[string]*configTree{}
	for key, n := range map[string]*yaml.Node{"models": &b.p.File.Models, "seeds": &b.p.File.Seeds, "tests": &b.p.File.Tests} {
		t, err := parseTree(FileName, n, b.known)
		if err != nil {
			return err
		}
		trees[key] = t
	}
	if b.p.File.DataTests.Kind != 0 {
		t, err := parseTree(FileName, &b.p.File.DataTests, b.known)
		if err != nil {
			return err
		}
		trees["tests"] = t
	}
	if ld.modelsErr != nil {
		return ld.modelsErr
	}
	// Models are configured in parallel; the first error in path order wins, a duplicate name
	// included, as when they were configured one by one.
	byName := map[string]string{}
	files := sortedPaths(ld.models)
	names := make([]string, len(files))
	dups := make([]error, len(files))
	for i, file := range files {
		names[i] = strings.TrimSuffix(path.Base(file), ".sql")
		if prev, dup := byName[names[i]]; dup {
			dups[i] = fmt.Errorf("%s: model name %q is already used by %s (model names must be unique)", file, names[i], prev)
			continue
		}
		byName[names[i]] = file
	}
	nodes := make([]*manifest.Node, len(files))
	err = parallel.ForEach(len(files), func(i int) error {
		if dups[i] != nil {
			return dups[i]
		}
		var err error
		nodes[i], err = b.modelNode(files[i], names[i], ld.models[files[i]].src, ld.models[files[i]].tp, trees["models"])
		return err
	})
	if err != nil {
		return err
	}
	for i, n := range nodes {
		if n != nil {
			b.m.Nodes[n.UniqueID] = n
			b.p.Templates[n.UniqueID] = ld.models[files[i]].tp
		}
	}
	for _, file := range sortedPaths(fl.seeds) {
		name := strings.TrimSuffix(path.Base(file), ".csv")
		if prev, dup := byName[name]; dup {
			return fmt.Errorf("%s: seed name %q is already used by %s", file, name, prev)
		}
		byName[name] = file
		n, err := b.seedNode(file, name, trees["seeds"])
		if err != nil {
			return err
		}
		if n != nil {
			b.m.Nodes[n.UniqueID] = n
		}
	}
	for name, pa := range b.modelProps {
		if _, ok := byName[name]; !ok {
			return fmt.Errorf("%s:%d: properties for model %q, but there is no models/**/%s.sql%s", pa.file, pa.props.Line, name, name, b.hint(name))
		}
	}
	if err := b.sources(); err != nil {
		return err
	}
	if err := b.singularTests(ld, trees["tests"]); err != nil {
		return err
	}
	if err := b.resolveDeps(); err != nil {
		return err
	}
	if err := b.genericTests(trees["tests"]); err != nil {
		return err
	}
	return b.unitTests()
}

func sortedPaths[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (b *builder) hint(name string) string {
	var names []string
	for _, n := range b.m.Nodes {
		names = append(names, n.Name)
	}
	if s := near(name, names); s != "" {
		return "; did you mean " + s + "?"
	}
	return ""
}

// fqn is the project, the folders below the resource root and the name.
func (b *builder) fqn(file, name string, roots []string) []string {
	dir := path.Dir(file)
	for _, r := range roots {
		if dir == r || strings.HasPrefix(dir, r+"/") {
			dir = strings.TrimPrefix(strings.TrimPrefix(dir, r), "/")
			break
		}
	}
	out := []string{b.m.Project}
	if dir != "" && dir != "." {
		out = append(out, strings.Split(dir, "/")...)
	}
	return append(out, name)
}

// resolveConfig applies project.yml folders, then YAML config, then in-file config.
func (b *builder) resolveConfig(file string, fqn []string, tree *configTree, yamlCfg map[string]any, fileCfg map[string]any) (manifest.Config, error) {
	raw := map[string]any{}
	// dbt matches the tree against the fqn, whose last part is the node itself.
	for _, c := range tree.resolve(b.m.Project, fqn[1:]) {
		mergeConfig(raw, c)
	}
	mergeConfig(raw, yamlCfg)
	mergeConfig(raw, fileCfg)
	c, err := typedConfig(raw)
	if err != nil {
		return c, fmt.Errorf("%s: %w", file, err)
	}
	return c, nil
}

func (b *builder) modelNode(file, name, src string, tp *tmpl.Template, tree *configTree) (*manifest.Node, error) {
	fileCfg := map[string]any{}
	for _, c := range tp.Static.Configs {
		for i := 0; i < len(c.Args); i += 2 {
			k := c.Args[i].(string)
			if !b.known[k] {
				keys := make([]string, 0, len(b.known))
				for kk := range b.known {
					keys = append(keys, kk)
				}
				hint := ""
				if s := near(k, keys); s != "" {
					hint = "; did you mean " + s + "?"
				}
				return nil, &tmpl.PosError{File: file, Line: c.Line, Col: c.Col, Msg: fmt.Sprintf("unknown config key %q%s", k, hint)}
			}
			fileCfg[k] = c.Args[i+1]
		}
	}
	n := &manifest.Node{Name: name, ResourceType: manifest.Model, Path: file, RawCode: src, Checksum: checksum(src)}
	n.UniqueID = "model." + b.m.Project + "." + name
	n.FQN = b.fqn(file, name, b.p.File.ModelPaths)
	var yamlCfg map[string]any
	if pa, ok := b.modelProps[name]; ok {
		var err error
		if yamlCfg, err = configMap(pa.file, &pa.props.Config, b.known); err != nil {
			return nil, err
		}
		if err := b.applyProps(n, pa); err != nil {
			return nil, err
		}
	}
	cfg, err := b.resolveConfig(file, n.FQN, tree, yamlCfg, fileCfg)
	if err != nil {
		return nil, err
	}
	if !cfg.Enabled {
		return nil, nil
	}
	if cfg.Materialized == "" {
		cfg.Materialized = "view"
	}
	if err := b.checkMaterialized(file, cfg.Materialized); err != nil {
		return nil, err
	}
	n.Config = cfg
	b.place(n)
	for _, r := range tp.Static.Refs {
		n.Refs = append(n.Refs, r.Args[0].(string))
	}
	for _, s := range tp.Static.Sources {
		n.Sources = append(n.Sources, manifest.SourceRef{Source: s.Args[0].(string), Table: s.Args[1].(string)})
	}
	return n, nil
}

func (b *builder) checkMaterialized(file, m string) error {
	if b.opts.Materializations == nil {
		return nil
	}
	for _, v := range b.opts.Materializations {
		if v == m {
			return nil
		}
	}
	return fmt.Errorf("%s: unknown materialization %q (one of %s)", file, m, strings.Join(b.opts.Materializations, ", "))
}

// place sets the relation a node builds: the target database unless config says otherwise.
func (b *builder) place(n *manifest.Node) {
	n.Database = n.Config.Database
	if n.Database == "" {
		n.Database = b.p.Target.Database
	}
	n.Alias = n.Config.Alias
	if n.Alias == "" {
		n.Alias = n.Name
	}
}

func (b *builder) applyProps(n *manifest.Node, pa propsAt) error {
	n.Description = pa.props.Description
	n.Meta = pa.props.Meta
	cols, err := columns(pa.file, pa.props.Columns)
	if err != nil {
		return err
	}
	n.Columns = cols
	tests, err := testSpecs(pa.file, append(append([]yaml.Node{}, pa.props.Tests...), pa.props.DataTests...))
	if err != nil {
		return err
	}
	n.Tests = tests
	return nil
}

func (b *builder) seedNode(file, name string, tree *configTree) (*manifest.Node, error) {
	n := &manifest.Node{Name: name, ResourceType: manifest.Seed, Path: file}
	n.UniqueID = "seed." + b.m.Project + "." + name
	n.FQN = b.fqn(file, name, b.p.File.SeedPaths)
	var yamlCfg map[string]any
	if pa, ok := b.seedProps[name]; ok {
		var err error
		if yamlCfg, err = configMap(pa.file, &pa.props.Config, b.known); err != nil {
			return nil, err
		}
		if err := b.applyProps(n, pa); err != nil {
			return nil, err
		}
	}
	cfg, err := b.resolveConfig(file, n.FQN, tree, yamlCfg, nil)
	if err != nil {
		return nil, err
	}
	if !cfg.Enabled {
		return nil, nil
	}
	cfg.Materialized = "seed"
	n.Config = cfg
	b.place(n)
	return n, nil
}
