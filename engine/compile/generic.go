package compile

import (
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/dwmhq/dwm/engine/manifest"
)

// GenericTest renders the project-defined generic test `name` for test node n. The definition's
// file is parsed again with a call of the {{ define }} block appended, so the block runs with dot
// as its dot (.model, .column_name and the YAML arguments) and may call ref, source, var and
// macro like any model; errors point into the definition's file.
func (c *Compiler) GenericTest(n *manifest.Node, name string, dot map[string]any) (string, error) {
	file := c.p.Macros.File(name)
	if file == "" {
		return "", fmt.Errorf("generic test %q is not defined", name)
	}
	src, err := fs.ReadFile(c.p.FS, file)
	if err != nil {
		return "", fmt.Errorf("generic test %s: %w", name, err)
	}
	// The arguments travel as JSON through sprig's mustFromJson, so no extra template function
	// (unknown to the project's parser) is needed.
	data, err := json.Marshal(dot)
	if err != nil {
		return "", fmt.Errorf("generic test %s: arguments: %w", name, err)
	}
	text := string(src) + fmt.Sprintf(`{{ template %q (mustFromJson %q) }}`, name, string(data))
	tp, err := c.p.Engine.Parse(file, text, c.p.Macros)
	if err != nil {
		return "", fmt.Errorf("generic test %s: %w", name, err)
	}
	return c.render(n, tp, Options{}, map[string]bool{})
}
