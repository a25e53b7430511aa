package project

import (
	"fmt"
	"io/fs"

	"github.com/dwmhq/dwm/engine/tmpl"
	"github.com/dwmhq/dwm/internal/parallel"
)

// loaded holds every model, singular test and property file, read and parsed. Reading and
// parsing run together on every core, property files first since each holds many entries:
// loading a 10,000-model project is mostly template parsing and YAML decoding, and one pass per
// file keeps the bytes hot. Parse errors are kept per kind and reported by build in the order
// the steps use them, the first in path order, so messages do not depend on scheduling.
type loaded struct {
	props               map[string]parsedProp
	models, tests       map[string]parsedTemplate
	propsErr            error
	modelsErr, testsErr error
}

// parsedTemplate is one template file: its text and its parse.
type parsedTemplate struct {
	src string
	tp  *tmpl.Template
}

const (
	propsKind = iota
	modelKind
	testKind
)

func loadFiles(fsys fs.FS, e *tmpl.Engine, macros *tmpl.Macros, fl *files) (*loaded, error) {
	type task struct {
		kind int
		path string
	}
	var tasks []task
	for kind, paths := range [][]string{sortedPaths(fl.props), sortedPaths(fl.models), sortedPaths(fl.tests)} {
		for _, p := range paths {
			tasks = append(tasks, task{kind, p})
		}
	}
	props := make([]parsedProp, len(tasks))
	tpls := make([]parsedTemplate, len(tasks))
	errs := make([]error, len(tasks))
	err := parallel.ForEach(len(tasks), func(i int) error {
		t := tasks[i]
		data, err := fs.ReadFile(fsys, t.path)
		if err != nil {
			return fmt.Errorf("read project: %w", err)
		}
		if t.kind == propsKind {
			props[i].pf, props[i].lines, errs[i] = decodeProps(t.path, data)
			return nil
		}
		src := string(data)
		tpls[i].src = src
		tpls[i].tp, errs[i] = e.Parse(t.path, src, macros)
		return nil
	})
	if err != nil {
		return nil, err
	}
	ld := &loaded{props: map[string]parsedProp{}, models: map[string]parsedTemplate{}, tests: map[string]parsedTemplate{}}
	for i, t := range tasks {
		first := []*error{&ld.propsErr, &ld.modelsErr, &ld.testsErr}[t.kind]
		if errs[i] != nil && *first == nil {
			*first = errs[i]
		}
		switch t.kind {
		case propsKind:
			ld.props[t.path] = props[i]
		case modelKind:
			ld.models[t.path] = tpls[i]
		default:
			ld.tests[t.path] = tpls[i]
		}
	}
	return ld, nil
}
