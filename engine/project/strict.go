package project

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/dwmhq/dwm/engine/tmpl"
	"github.com/dwmhq/dwm/internal/yamlfast"
	"gopkg.in/yaml.v3"
)

// Property files are parsed once into a yaml.Node and decoded from it. yaml.v3 only rejects
// unknown keys when decoding from a stream (Decoder.KnownFields), so decoding from a node needs
// its own check; parsing every file twice was the largest cost of loading a big project.

var yamlNodeType = reflect.TypeOf(yaml.Node{})

// fieldCache holds the YAML keys of each struct type met while checking one file, so a file of
// thousands of entries looks at each type's fields once.
type fieldCache map[reflect.Type]map[string]reflect.Type

func (c fieldCache) fields(t reflect.Type) map[string]reflect.Type {
	f, ok := c[t]
	if !ok {
		f = map[string]reflect.Type{}
		collectFields(t, f)
		c[t] = f
	}
	return f
}

// checkKnown reports the first mapping key in n that the Go type t does not declare, in the same
// words yamlErr gives the strict decoder's error.
func checkKnown(file string, n *yaml.Node, t reflect.Type, cache fieldCache) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch t.Kind() {
	case reflect.Struct:
		if t == yamlNodeType || n.Kind != yaml.MappingNode {
			return nil // a type mismatch is reported by Decode
		}
		fields := cache.fields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				return fmt.Errorf("%s:%d: field %s is not a known key in %s", file, k.Line, k.Value, t.String())
			}
			if err := checkKnown(file, n.Content[i+1], ft, cache); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for _, item := range n.Content {
			if err := checkKnown(file, item, t.Elem(), cache); err != nil {
				return err
			}
		}
	}
	return nil
}

// collectFields maps the YAML keys of struct t to their types, following yaml.v3's rules: the
// tag's name, else the lowercased field name; "-" skips; ",inline" merges a struct's keys.
func collectFields(t reflect.Type, out map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			collectFields(f.Type, out)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
}

// decodeProps parses a property file once and returns it with the line of each item of its
// top-level lists (models, seeds, ...), for messages.
func decodeProps(file string, data []byte) (*propsFile, map[string][]int, error) {
	if err := tmpl.CheckJinja(file, string(data)); err != nil {
		return nil, nil, err
	}
	// Plain property files take the fast parser; anything else (and every error) is yaml.v3's.
	root, ok := yamlfast.Parse(data)
	if !ok {
		root = &yaml.Node{}
		if err := yaml.Unmarshal(data, root); err != nil {
			return nil, nil, yamlErr(file, err)
		}
	}
	p := &propsFile{}
	lines := map[string][]int{}
	if len(root.Content) == 0 {
		return p, lines, nil
	}
	doc := root.Content[0]
	if err := checkKnown(file, doc, reflect.TypeOf(p), fieldCache{}); err != nil {
		return nil, nil, err
	}
	if err := doc.Decode(p); err != nil {
		return nil, nil, yamlErr(file, err)
	}
	if doc.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(doc.Content); i += 2 {
			k, v := doc.Content[i].Value, doc.Content[i+1]
			for _, item := range v.Content {
				lines[k] = append(lines[k], item.Line)
			}
		}
	}
	return p, lines, nil
}
