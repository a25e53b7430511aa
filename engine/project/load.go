package project

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/tmpl"
	"github.com/dwmhq/dwm/engine/utf8check"
)

// Options change how a project loads.
type Options struct {
	Target string         // target name; empty means project.yml's default
	Vars   map[string]any // --vars, overriding project vars
	// Getenv reads the environment (os.LookupEnv when nil); tests pass a fake.
	Getenv func(string) (string, bool)
	// ConfigKeys are extra config keys that materializations understand.
	ConfigKeys []string
	// Materializations lists the valid `materialized` values; nil accepts any.
	Materializations []string
	// Now is the clock LoadListing stamps entries with; nil means time.Now. Tests move it past
	// osfs.RacyWindow rather than wait.
	Now func() time.Time
}

// Project is a loaded project.
type Project struct {
	FS         fs.FS
	File       *File
	TargetName string
	Target     Target
	Manifest   *manifest.Manifest
	// Templates holds the parsed template of every model and singular test, by unique ID.
	Templates map[string]*tmpl.Template
	Macros    *tmpl.Macros
	Engine    *tmpl.Engine
	Vars      map[string]any
	// UnitTests are the raw unit_tests entries of the property files, for the test runner.
	UnitTests []RawUnitTest
	// UnitTestDefs are the parsed unit tests, by the unique ID of their unit_test node.
	UnitTestDefs map[string]*UnitTest
	// Warnings are problems that do not stop a run (unused config paths and the like).
	Warnings []string
}

// files groups what discovery found, by path. Macros (few, needed before anything else parses)
// hold their contents; models, snapshots, tests, doc and property files are read later, in
// parallel with parsing them (loadFiles).
type files struct {
	models, macros, props, seeds, tests, snapshots map[string][]byte
	docs                                           map[string][]byte // doc blocks (*.md)
}

// Load reads and validates the whole project. Every error names the file and, where it can, the
// line and column; nothing is written anywhere.
func Load(fsys fs.FS, opts Options) (*Project, error) {
	f, err := readFile(fsys)
	if err != nil {
		return nil, err
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.LookupEnv
	}
	tname, target, err := f.ResolveTarget(opts.Target, getenv)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, k := range append(append([]string{}, commonConfigKeys...), opts.ConfigKeys...) {
		known[k] = true
	}
	p := &Project{FS: fsys, File: f, TargetName: tname, Target: target, Templates: map[string]*tmpl.Template{},
		Engine: tmpl.NewEngine(), Vars: projectVars(f, opts.Vars)}
	fl, err := discover(fsys, f)
	if err != nil {
		return nil, err
	}
	macroFiles := map[string]string{}
	for k, v := range fl.macros {
		macroFiles[k] = string(v)
	}
	if p.Macros, err = p.Engine.ParseMacros(macroFiles); err != nil {
		return nil, err
	}
	b := &builder{p: p, known: known, opts: opts, m: manifest.New(f.Name)}
	if err := b.build(fsys, fl); err != nil {
		return nil, err
	}
	p.Manifest = b.m
	for _, n := range p.Macros.Names() {
		p.Manifest.Macros[n] = p.Macros.File(n)
		p.Manifest.MacroChecksums[n] = p.Macros.Checksum(n)
	}
	return p, nil
}

// projectVars is project.yml's vars overridden by --vars.
func projectVars(f *File, vars map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range f.Vars {
		out[k] = v
	}
	for k, v := range vars {
		out[k] = v
	}
	return out
}

// discover walks the project's folders. Paths are relative to the project root.
func discover(fsys fs.FS, f *File) (*files, error) {
	fl := &files{models: map[string][]byte{}, macros: map[string][]byte{}, props: map[string][]byte{},
		seeds: map[string][]byte{}, tests: map[string][]byte{}, snapshots: map[string][]byte{}, docs: map[string][]byte{}}
	walk := func(roots []string, visit func(p string) error) error {
		for _, root := range roots {
			err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					if p == root && os.IsNotExist(err) {
						return fs.SkipDir
					}
					return err
				}
				if d.IsDir() {
					if p != root && strings.HasPrefix(d.Name(), ".") {
						return fs.SkipDir
					}
					return nil
				}
				return visit(p)
			})
			if err != nil {
				return err
			}
		}
		return nil
	}
	read := func(dst map[string][]byte, p string) error {
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		if err := utf8check.Check(p, data); err != nil {
			return err
		}
		dst[p] = data
		return nil
	}
	later := func(dst map[string][]byte, p string) error {
		dst[p] = nil
		return nil
	}
	isYAML := func(p string) bool { return strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml") }
	err := walk(f.ModelPaths, func(p string) error {
		switch {
		case strings.HasSuffix(p, ".sql"):
			return later(fl.models, p)
		case strings.HasSuffix(p, ".md"):
			return later(fl.docs, p)
		case isYAML(p):
			return later(fl.props, p)
		}
		return nil
	})
	if err == nil {
		err = walk(f.MacroPaths, func(p string) error {
			switch {
			case strings.HasSuffix(p, ".sql"):
				return read(fl.macros, p)
			case isYAML(p):
				return later(fl.props, p)
			}
			return nil
		})
	}
	if err == nil {
		err = walk(f.SeedPaths, func(p string) error {
			switch {
			case strings.HasSuffix(p, ".csv"):
				fl.seeds[p] = nil // seeds are read by the seed loader, not kept in memory
			case isYAML(p):
				return later(fl.props, p)
			}
			return nil
		})
	}
	if err == nil {
		err = walk(f.TestPaths, func(p string) error {
			switch {
			case strings.HasSuffix(p, ".sql") && isGenericTestFile(f, p):
				return read(fl.macros, p) // generic tests are {{ define }} blocks, like macros
			case strings.HasSuffix(p, ".sql"):
				return later(fl.tests, p)
			case isYAML(p):
				return later(fl.props, p)
			}
			return nil
		})
	}
	if err == nil {
		err = walk(f.SnapshotPaths, func(p string) error {
			switch {
			case strings.HasSuffix(p, ".sql"):
				return later(fl.snapshots, p)
			case isYAML(p):
				return later(fl.props, p)
			}
			return nil
		})
	}
	var bad *utf8check.Error
	if errors.As(err, &bad) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("read project: %w", err)
	}
	return fl, nil
}

func isGenericTestFile(f *File, p string) bool {
	for _, root := range f.TestPaths {
		if strings.HasPrefix(p, path.Join(root, "generic")+"/") {
			return true
		}
	}
	return false
}

func checksum(text string) string {
	s := sha256.Sum256([]byte(text))
	return hex.EncodeToString(s[:])
}
