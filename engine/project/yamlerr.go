package project

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// YAML errors are for people who write YAML, not Go: the decoder's messages name Go types
// ("cannot unmarshal !!str into []project.columnProps", "field x not found in type
// project.sourceProps"), and its syntax errors give the 0-based line where the enclosing block
// starts rather than the line at fault. These helpers rewrite both.

// yamlWhat names the property-file types as a user knows them.
var yamlWhat = map[string]string{
	"propsFile":   "a property file",
	"nodeProps":   "a model or seed",
	"columnProps": "a column",
	"sourceProps": "a source",
	"File":        FileName,
	"Target":      "a target",
}

// describeType says what kind of YAML entry a Go type is; key is the YAML key that holds it.
func describeType(t reflect.Type, key string) string {
	if w, ok := yamlWhat[t.Name()]; ok {
		return w
	}
	switch key {
	case "tables":
		return "a source table"
	case "":
		return "this mapping"
	}
	return "an entry of " + key
}

// unknownField is checkKnown's message: the key, where it is, and what would be known there.
func unknownField(file string, k *yaml.Node, t reflect.Type, key string, fields map[string]reflect.Type) error {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	hint := ""
	if s := near(k.Value, names); s != "" {
		hint = "; did you mean " + s + "?"
	}
	return fmt.Errorf("%s:%d:%d: unknown key %q in %s%s (known keys: %s)", file, k.Line, k.Column, k.Value, describeType(t, key), hint, strings.Join(names, ", "))
}

var (
	unmarshalRe = regexp.MustCompile("cannot unmarshal (!!\\w+)(?: `([^`]*)`)? into (\\S+)")
	notFoundRe  = regexp.MustCompile(`field (\S+) not found in type (\S+)`)
)

// plainYAML rewrites one decoder message without Go type names.
func plainYAML(msg string) string {
	if m := unmarshalRe.FindStringSubmatch(msg); m != nil {
		got := map[string]string{"!!str": "a string", "!!int": "a number", "!!float": "a number", "!!bool": "true or false",
			"!!seq": "a list", "!!map": "a mapping", "!!null": "nothing", "!!timestamp": "a date"}[m[1]]
		if got == "" {
			got = strings.TrimPrefix(m[1], "!!")
		}
		if m[2] != "" {
			got += " (" + m[2] + ")"
		}
		return fmt.Sprintf("expected %s, got %s", goTypeWords(m[3]), got)
	}
	if m := notFoundRe.FindStringSubmatch(msg); m != nil {
		name := m[2][strings.LastIndexByte(m[2], '.')+1:]
		what := yamlWhat[name]
		if what == "" {
			what = "this mapping"
		}
		return fmt.Sprintf("unknown key %q in %s", m[1], what)
	}
	return msg
}

// goTypeWords says what YAML a Go type wants.
func goTypeWords(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["), strings.Contains(t, "."), strings.HasPrefix(t, "struct"):
		return "a mapping"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "a number"
	}
	return "a value of another kind"
}

// syntaxLine finds the line a YAML syntax error is really on. yaml.v3 reports parser errors
// ("did not find expected ...") at the 0-based line of the enclosing block; the first line at
// which the document stops parsing is the one to show. Only called on the error path.
func syntaxLine(data []byte, reported int, msg string) int {
	if !strings.HasPrefix(msg, "did not find expected") {
		return reported
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	fails := func(k int) bool {
		var n yaml.Node
		return yaml.Unmarshal(bytes.Join(lines[:k], nil), &n) != nil
	}
	// The smallest prefix that fails; prefixes shorter than the faulty line parse.
	lo, hi := 1, len(lines)
	if !fails(hi) {
		return reported + 1
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
