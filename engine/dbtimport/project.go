// Package dbtimport converts a dbt project into an equivalent dwm project: dbt_project.yml and a
// profile into project.yml, Jinja models, macros, tests, snapshots and doc blocks into dwm's Go
// templates, schema YAML as it is with its Jinja converted. It is pure: an fs.FS in, files and a
// list of what did not convert out. Whatever does not convert stays as written, with its
// file:line and the reason, so a person can finish the job.
package dbtimport

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/dwmhq/dwm/engine/dbtimport/jinja"
)

// Options tune an import.
type Options struct {
	// Profiles is the text of profiles.yml, when there is one; empty to read SRC/profiles.yml.
	Profiles []byte
	// ProfilesFile names Profiles in messages.
	ProfilesFile string
	// ConfigKeys are the config keys the dwm that will read the project accepts. A dbt key in
	// this list is kept even where the importer would drop it (so a dwm that gained contracts or
	// persist_docs keeps them); nil means the importer's own list.
	ConfigKeys []string
}

// Result is a converted project.
type Result struct {
	Files    map[string][]byte // path in the dwm project -> content
	Problems []Problem         // constructs left as written
	Notes    []string          // what was dropped or changed on purpose, for the report
}

// Paths returns the result's file paths, sorted.
func (r *Result) Paths() []string {
	out := make([]string, 0, len(r.Files))
	for p := range r.Files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// dbtProject is what the importer reads of dbt_project.yml besides the config trees.
type dbtProject struct {
	name                                    string
	profile                                 string
	models, seeds, macros, tests, snapshots []string
}

// importer holds one import in progress.
type importer struct {
	src     fs.FS
	opts    Options
	proj    dbtProject
	macros  map[string]*Macro
	res     *Result
	noteSet map[string]bool
	keys    keySet
}

// Import converts the dbt project at the root of src.
func Import(src fs.FS, opts Options) (*Result, error) {
	im := &importer{src: src, opts: opts, macros: map[string]*Macro{}, noteSet: map[string]bool{},
		res: &Result{Files: map[string][]byte{}}, keys: configKeySet(opts.ConfigKeys)}
	raw, err := fs.ReadFile(src, "dbt_project.yml")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("dbt_project.yml not found: SRC must be a dbt project's directory")
	}
	if err != nil {
		return nil, err
	}
	projectYML, err := im.projectFile(raw)
	if err != nil {
		return nil, err
	}
	if err := im.collectMacros(); err != nil {
		return nil, err
	}
	for _, step := range []func() error{im.models, im.seeds, im.macroFiles, im.testFiles, im.snapshotFiles} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	im.res.Files["project.yml"] = projectYML
	if _, err := fs.Stat(src, "packages.yml"); err == nil {
		im.note("packages.yml: packages are not installed; dbt_utils and dbt.* calls are written as the SQL they expand to, other packages' macros are reported")
	}
	sort.Slice(im.res.Problems, func(i, j int) bool {
		a, b := im.res.Problems[i], im.res.Problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
	})
	return im.res, nil
}

func (im *importer) note(s string) {
	if !im.noteSet[s] {
		im.noteSet[s] = true
		im.res.Notes = append(im.res.Notes, s)
	}
}

// walk calls fn for every file under the given roots, in path order.
func (im *importer) walk(roots []string, fn func(p string) error) error {
	for _, root := range roots {
		err := fs.WalkDir(im.src, root, func(p string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				return fs.SkipDir
			}
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			return fn(p)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// collectMacros reads every macro and generic test signature first, so calls with keyword
// arguments convert wherever they appear.
func (im *importer) collectMacros() error {
	return im.walk(append(append([]string{}, im.proj.macros...), im.proj.tests...), func(p string) error {
		if !strings.HasSuffix(p, ".sql") {
			return nil
		}
		b, err := fs.ReadFile(im.src, p)
		if err != nil {
			return err
		}
		for name, m := range Macros(string(b)) {
			im.macros[name] = m
		}
		return nil
	})
}

// template converts one file's text. A Jinja syntax error keeps the whole file as written.
func (im *importer) template(file, text string) string {
	c := &converter{file: file, src: text, macros: im.macros, project: im.proj.name, keys: im.keys}
	out, err := c.convert()
	if err != nil {
		var je *jinja.Error
		line, col := 1, 1
		if errors.As(err, &je) {
			line, col = je.Pos.Line, je.Pos.Col
			err = errors.New(je.Msg)
		}
		im.res.Problems = append(im.res.Problems, Problem{File: file, Line: line, Col: col, What: "Jinja", Reason: "does not parse: " + err.Error()})
		return text
	}
	im.res.Problems = append(im.res.Problems, c.problems...)
	for _, n := range c.notes {
		im.note(file + ": " + n)
	}
	return out
}

func (im *importer) read(p string) (string, error) {
	b, err := fs.ReadFile(im.src, p)
	return string(b), err
}

func (im *importer) models() error {
	return im.templateDir(im.proj.models, "models/", true)
}

func (im *importer) seeds() error {
	return im.walk(im.proj.seeds, func(p string) error {
		out := "seeds/" + strings.TrimPrefix(relTo(p, im.proj.seeds), "/")
		b, err := fs.ReadFile(im.src, p)
		if err != nil {
			return err
		}
		switch {
		case strings.HasSuffix(p, ".csv"):
			im.res.Files[out] = b
		case isYAML(p):
			im.res.Files[out] = im.yamlFile(p, string(b))
		}
		return nil
	})
}

func (im *importer) macroFiles() error {
	return im.templateDir(im.proj.macros, "macros/", false)
}

// templateDir converts the directories of one kind of templates: .sql and .md files through the Jinja
// converter, YAML through the property converter. Python files are reported where dbt allows
// them (models) and ignored elsewhere, as dbt does.
func (im *importer) templateDir(dirs []string, outPrefix string, reportPython bool) error {
	return im.walk(dirs, func(p string) error {
		text, err := im.read(p)
		if err != nil {
			return err
		}
		out := outPrefix + strings.TrimPrefix(relTo(p, dirs), "/")
		switch {
		case strings.HasSuffix(p, ".sql"), strings.HasSuffix(p, ".md"):
			im.res.Files[out] = []byte(im.template(p, text))
		case isYAML(p):
			im.res.Files[out] = im.yamlFile(p, text)
		case reportPython && strings.HasSuffix(p, ".py"):
			im.res.Problems = append(im.res.Problems, Problem{File: p, Line: 1, Col: 1, What: "Python model",
				Reason: "dwm models are SQL; rewrite it as SQL (ClickHouse has most of pandas' transformations as functions)"})
		}
		return nil
	})
}

// testFiles: singular tests stay where they are; files of {% test %} blocks go to tests/generic,
// where dwm reads generic test definitions.
func (im *importer) testFiles() error {
	return im.walk(im.proj.tests, func(p string) error {
		text, err := im.read(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(relTo(p, im.proj.tests), "/")
		switch {
		case strings.HasSuffix(p, ".sql"):
			out := "tests/" + rel
			if definesTests(text) && !strings.HasPrefix(rel, "generic/") {
				out = "tests/generic/" + path.Base(rel)
			}
			im.res.Files[out] = []byte(im.template(p, text))
		case isYAML(p):
			im.res.Files["tests/"+rel] = im.yamlFile(p, text)
		}
		return nil
	})
}

func definesTests(text string) bool {
	nodes, err := jinja.Parse(text)
	if err != nil {
		return false
	}
	for _, n := range nodes {
		if b, ok := n.(*jinja.BlockNode); ok && b.Kind == "test" {
			return true
		}
	}
	return false
}

// snapshotFiles writes each {% snapshot name %} block as snapshots/name.sql: its config and query
// in dwm's form (issue 13's snapshot format).
func (im *importer) snapshotFiles() error {
	return im.walk(im.proj.snapshots, func(p string) error {
		text, err := im.read(p)
		if err != nil {
			return err
		}
		switch {
		case isYAML(p):
			im.res.Files["snapshots/"+strings.TrimPrefix(relTo(p, im.proj.snapshots), "/")] = im.yamlFile(p, text)
			return nil
		case !strings.HasSuffix(p, ".sql"):
			return nil
		}
		nodes, err := jinja.Parse(text)
		if err != nil {
			im.template(p, text) // reports the syntax error
			return nil
		}
		found := false
		for _, n := range nodes {
			b, ok := n.(*jinja.BlockNode)
			if !ok || b.Kind != "snapshot" {
				continue
			}
			found = true
			// The body converts as a model does, positions kept: a sub-converter over the whole
			// file's text sees only the block's nodes.
			c := &converter{file: p, src: text, macros: im.macros, project: im.proj.name, keys: im.keys}
			c.push()
			c.nodes(b.Body)
			im.res.Problems = append(im.res.Problems, c.problems...)
			for _, n := range c.notes {
				im.note(p + ": " + n)
			}
			im.res.Files["snapshots/"+b.Name+".sql"] = []byte(strings.TrimSpace(c.out.String()) + "\n")
		}
		if !found {
			im.res.Files["snapshots/"+strings.TrimPrefix(relTo(p, im.proj.snapshots), "/")] = []byte(im.template(p, text))
		}
		return nil
	})
}

// relTo strips whichever root p is under.
func relTo(p string, roots []string) string {
	for _, r := range roots {
		if strings.HasPrefix(p, r+"/") {
			return p[len(r):]
		}
	}
	return p
}

func isYAML(p string) bool { return strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml") }

// problemf records a problem at a YAML position.
func (im *importer) problemf(file string, line, col int, what, format string, a ...any) {
	im.res.Problems = append(im.res.Problems, Problem{File: file, Line: line, Col: col, What: what, Reason: fmt.Sprintf(format, a...)})
}
