package bench

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// Baseline reads every model of a generated project and parses and executes each with a bare
// text/template whose functions return constants, one file after another: no project.yml, YAML
// properties, config, graph, selection, macros or artifacts. It is the floor of "a templating
// tool built on text/template", the baseline the compile benchmarks report ratios against.
// It returns how many bytes it rendered.
func Baseline(dir string) (int, error) {
	funcs := template.FuncMap{
		"ref":            func(name string) string { return "`bench`.`" + name + "`" },
		"config":         func(...any) string { return "" },
		"list":           func(a ...any) []any { return a },
		"macro":          func(name string, args ...any) string { return name },
		"is_incremental": func() bool { return false },
		"this":           func() string { return "" },
	}
	total := 0
	err := filepath.WalkDir(filepath.Join(dir, "models"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".sql") {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		t, err := template.New(p).Funcs(funcs).Parse(string(src))
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, nil); err != nil {
			return err
		}
		total += buf.Len()
		return nil
	})
	if err == nil && total == 0 {
		err = fmt.Errorf("baseline rendered nothing in %s", dir)
	}
	return total, err
}
