package project

import (
	"fmt"
	"sort"
	"strings"
	"text/template"
)

// Doc blocks are dwm's form of dbt's {% docs %}: *.md files under the model paths hold
//
//	{{ define "order_status" }}One of `placed`, `shipped`, `returned`.{{ end }}
//
// and a YAML description (or another doc block) says {{ doc "order_status" }}. Text outside the
// blocks is ignored, as in dbt. Descriptions without "{{" are taken as written.

// maxDocDepth stops doc blocks that include each other in a loop.
const maxDocDepth = 20

// docBlocks is every doc block by name, with the file that defines it.
type docBlocks struct {
	set  *template.Template
	file map[string]string
}

func parseDocBlocks(files map[string][]byte) (*docBlocks, error) {
	d := &docBlocks{file: map[string]string{}}
	d.set = template.New("").Option("missingkey=error")
	var depth int
	d.set.Funcs(template.FuncMap{"doc": d.docFunc(&depth)})
	for _, file := range sortedPaths(files) {
		t, err := template.New(file).Funcs(template.FuncMap{"doc": func(string) (string, error) { return "", nil }}).Parse(string(files[file]))
		if err != nil {
			return nil, fmt.Errorf("doc blocks: %w", err)
		}
		for _, tt := range t.Templates() {
			name := tt.Name()
			if name == file {
				continue
			}
			if prev, dup := d.file[name]; dup {
				return nil, fmt.Errorf("%s: doc block %q is already defined in %s", file, name, prev)
			}
			d.file[name] = file
			if _, err := d.set.AddParseTree(name, tt.Tree); err != nil {
				return nil, fmt.Errorf("%s: doc block %q: %w", file, name, err)
			}
		}
	}
	return d, nil
}

func (d *docBlocks) names() []string {
	out := make([]string, 0, len(d.file))
	for n := range d.file {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// docFunc is the template function doc: the rendered block, its own doc calls included.
func (d *docBlocks) docFunc(depth *int) func(string) (string, error) {
	return func(name string) (string, error) {
		if _, ok := d.file[name]; !ok {
			hint := ""
			if s := near(name, d.names()); s != "" {
				hint = "; did you mean " + s + "?"
			}
			return "", fmt.Errorf("doc %q is not defined in any *.md doc file%s", name, hint)
		}
		if *depth >= maxDocDepth {
			return "", fmt.Errorf("doc %q: doc blocks include each other in a loop", name)
		}
		*depth++
		defer func() { *depth-- }()
		var b strings.Builder
		if err := d.set.ExecuteTemplate(&b, name, nil); err != nil {
			return "", err
		}
		return strings.TrimSpace(b.String()), nil
	}
}

// render expands the doc calls of one description.
func (d *docBlocks) render(desc string) (string, error) {
	if !strings.Contains(desc, "{{") {
		return desc, nil
	}
	var depth int
	t, err := template.New("description").Funcs(template.FuncMap{"doc": d.docFunc(&depth)}).Parse(desc)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, nil); err != nil {
		return "", unwrapExec(err)
	}
	return b.String(), nil
}

// unwrapExec keeps the doc function's message and drops text/template's position prefix, which
// points into the description string rather than a file.
func unwrapExec(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "error calling doc: "); i >= 0 {
		return fmt.Errorf("%s", msg[i+len("error calling doc: "):])
	}
	return err
}

// resolveDocs renders the descriptions of every node and column.
func (b *builder) resolveDocs(files map[string][]byte) error {
	d, err := parseDocBlocks(files)
	if err != nil {
		return err
	}
	for _, id := range b.m.SortedIDs() {
		n := b.m.Nodes[id]
		where := func(what string, err error) error {
			return fmt.Errorf("%s: description of %s %s%s: %w", n.Path, n.ResourceType, n.Name, what, err)
		}
		if n.Description, err = d.render(n.Description); err != nil {
			return where("", err)
		}
		for i := range n.Columns {
			c := &n.Columns[i]
			if c.Description, err = d.render(c.Description); err != nil {
				return where(", column "+c.Name, err)
			}
		}
	}
	return nil
}
