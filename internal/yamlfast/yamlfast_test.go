package yamlfast

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"gopkg.in/yaml.v3"
)

// same reports where two trees differ, ignoring comments (Parse does not attach them).
func same(a, b *yaml.Node, path string) string {
	if a.Kind != b.Kind || a.Tag != b.Tag || a.Style != b.Style || a.Value != b.Value || a.Line != b.Line ||
		a.Column != b.Column || a.Anchor != b.Anchor || len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: fast {kind %v tag %s style %v value %q at %d:%d, %d children}, yaml.v3 {kind %v tag %s style %v value %q at %d:%d, %d children}",
			path, a.Kind, a.Tag, a.Style, a.Value, a.Line, a.Column, len(a.Content), b.Kind, b.Tag, b.Style, b.Value, b.Line, b.Column, len(b.Content))
	}
	for i := range a.Content {
		if d := same(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// check parses src both ways; when Parse accepts it, the trees must be equal, and yaml.v3 must
// accept it too. It reports whether Parse accepted it.
func check(t *testing.T, name, src string) bool {
	t.Helper()
	got, ok := Parse([]byte(src))
	var want yaml.Node
	err := yaml.Unmarshal([]byte(src), &want)
	if !ok {
		return false
	}
	if err != nil {
		t.Errorf("%s: Parse accepted what yaml.v3 rejects (%v):\n%s", name, err, src)
		return true
	}
	if d := same(got, &want, ""); d != "" {
		t.Errorf("%s: %s\n%s", name, d, src)
	}
	return true
}

// accepted are shapes property files are made of: Parse must take them itself.
var accepted = []string{
	"version: 2\nmodels:\n  - name: a\n    description: The model, with commas, dots. And (parens)\n    columns:\n      - name: id\n        data_tests: [not_null, unique]\n",
	"# a comment\n\nmodels:\n- name: a  # trailing\n  config:\n    materialized: table\n    tags: ['x', \"y\"]\n    order_by: id\n",
	"sources:\n  - name: raw\n    database: raw\n    tables:\n      - name: events\n        identifier: event_stream\n        loaded_at_field: _loaded_at\n",
	"models:\n  - name: é_model\n    description: héllo wörld — ok\n    meta:\n      owner: ö\n",
	"a: 1\nb: 1.5\nc: true\nd: null\ne: ~\nf: 2024-01-01\ng: 'it''s'\nh: \"q\"\ni: -5\nj: 0x1F\nk: .inf\nl: http://x.y/z?a=b#frag\nm: a#b\n",
	"list:\n- a\n- 'b'\n- [c, d]\n- k: v\n  k2: v2\nafter: x\n",
	"  indented: [a, 'b c', \"d\"]  # c\n  other: []\n",
	"tests:\n  - accepted_values:\n      values: ['a', 'b']\n      config:\n        severity: warn\n  - relationships:\n      to: ref('users')\n      field: id\n",
	"k: v\n\n\n# end\n",
}

// rejected must go to yaml.v3 (whatever it makes of them).
var rejected = []string{
	"", "# only a comment\n", "---\na: 1\n", "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: |\n  text\n", "a: >\n  text\n",
	"a: {b: c}\n", "a: b\n  c\n", "a:\nb: 1\n", "a: \"x\\ty\"\n", "a: 1\na: 2\n", "a:\tb\n", "a: b: c\n",
	"- a\nb: c\n", "a: [b, {c: d}]\n", "a: [b,\n  c]\n", "a: 'b\n  c'\n", "? a\n: b\n", "a: [b: c]\n", "<<: {a: 1}\n",
	"a: x\n   b: y\n", "a:\n  - x\n - y\n", "'quoted key': v\n", "a: [x, ]\n", "a: @x\n", "a: `x`\n", "a: -\n", "- \n",
	"a:\n    b: 1\n  c: 2\n", "a: 'x'y\n", "a: [x]y\n", "nested:\n  - - x\n", "meta: {}\n", "a:\n  - x\n  b: 1\n",
}

func TestParseMatchesYAMLv3(t *testing.T) {
	for i, src := range accepted {
		if !check(t, fmt.Sprintf("accepted[%d]", i), src) {
			t.Errorf("accepted[%d]: Parse left it to yaml.v3:\n%s", i, src)
		}
	}
	for i, src := range rejected {
		if check(t, fmt.Sprintf("rejected[%d]", i), src) {
			t.Errorf("rejected[%d]: Parse took it:\n%s", i, src)
		}
	}
	// Every YAML file of the repository and of the CLI's test scripts.
	root := filepath.Join("..", "..")
	var files []string
	for _, pattern := range []string{"*.yml", "models/*/*.yml", "cmd/dwm/cli/testdata/script/*.txtar"} {
		m, _ := filepath.Glob(filepath.Join(root, pattern))
		files = append(files, m...)
	}
	taken := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(f, ".txtar") {
			if check(t, f, string(data)) {
				taken++
			}
			continue
		}
		for _, af := range txtar.Parse(data).Files {
			if strings.HasSuffix(af.Name, ".yml") || strings.HasSuffix(af.Name, ".yaml") {
				if check(t, f+":"+af.Name, string(af.Data)) {
					taken++
				}
			}
		}
	}
	if taken < 10 {
		t.Errorf("Parse took only %d of the project's YAML files", taken)
	}
}

func FuzzParseMatchesYAMLv3(f *testing.F) {
	for _, s := range append(append([]string{}, accepted...), rejected...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		check(t, "fuzz", src)
	})
}

// TestRandomPropertyFiles builds random documents of the shapes property files have, most of
// which Parse takes itself, and compares every tree with yaml.v3's.
func TestRandomPropertyFiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	scalars := []string{"plain", "two words", "x, y. z", "1", "-2", "3.5", "1e3", "true", "False", "null", "~", "2024-01-02",
		"'single'", "'it''s'", "\"double\"", "\"\"", "''", "ref('users')", "a#b", "http://h:80/p", "é ü —", "0x1F", ".nan", "yes",
		"a:b", "[a, b]", "['x', \"y\", 3]", "[]", "v # comment"}
	var b strings.Builder
	var node func(indent, depth int, inSeq bool)
	pad := func(n int) string { return strings.Repeat(" ", n) }
	node = func(indent, depth int, inSeq bool) {
		keys := 1 + rng.IntN(4)
		for k := range keys {
			if !inSeq || k > 0 {
				b.WriteString(pad(indent))
			}
			fmt.Fprintf(&b, "k%d_%d:", depth, k)
			switch r := rng.IntN(10); {
			case depth < 3 && r < 2: // nested mapping
				b.WriteString("\n")
				node(indent+2, depth+1, false)
			case depth < 3 && r < 4: // list of mappings or scalars, indented or not
				b.WriteString("\n")
				li := indent + 2*rng.IntN(2)
				for range 1 + rng.IntN(3) {
					b.WriteString(pad(li) + "- ")
					if rng.IntN(2) == 0 {
						node(li+2, depth+1, true)
					} else {
						b.WriteString(scalars[rng.IntN(len(scalars))] + "\n")
					}
				}
			default:
				b.WriteString(" " + scalars[rng.IntN(len(scalars))] + "\n")
			}
			if rng.IntN(8) == 0 {
				b.WriteString(pad(rng.IntN(6)) + "# a comment line\n\n")
			}
		}
	}
	taken := 0
	for i := range 3000 {
		b.Reset()
		node(0, 0, false)
		if check(t, fmt.Sprintf("random[%d]", i), b.String()) {
			taken++
		}
	}
	if taken < 1000 {
		t.Errorf("Parse took only %d of 3000 random property files", taken)
	}
}
