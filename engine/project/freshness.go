package project

import (
	"fmt"

	"github.com/dwmhq/dwm/engine/manifest"
	"gopkg.in/yaml.v3"
)

// sourceFreshness sets a source table's loaded_at_field and freshness: the table's own values
// override the source's, and a table's `freshness: null` turns the source's off, as in dbt.
func sourceFreshness(file string, info *manifest.SourceInfo, srcLoaded string, srcFresh *yaml.Node, tLoaded string, tFresh *yaml.Node) error {
	info.LoadedAtField = srcLoaded
	if tLoaded != "" {
		info.LoadedAtField = tLoaded
	}
	node := srcFresh
	if tFresh.Kind != 0 {
		node = tFresh
	}
	f, err := parseFreshness(file, node)
	if err != nil {
		return err
	}
	info.Freshness = f
	return nil
}

func parseFreshness(file string, n *yaml.Node) (*manifest.Freshness, error) {
	if n.Kind == 0 || n.Tag == "!!null" {
		return nil, nil
	}
	var raw struct {
		WarnAfter  yaml.Node `yaml:"warn_after"`
		ErrorAfter yaml.Node `yaml:"error_after"`
		Filter     string    `yaml:"filter"`
	}
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d:%d: freshness must be a mapping of warn_after, error_after and filter", file, n.Line, n.Column)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k := n.Content[i]; k.Value {
		case "warn_after", "error_after", "filter":
		default:
			return nil, fmt.Errorf("%s:%d:%d: freshness: unknown key %q (warn_after, error_after or filter)", file, k.Line, k.Column, k.Value)
		}
	}
	if err := n.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%s:%d:%d: freshness: %v", file, n.Line, n.Column, err)
	}
	f := &manifest.Freshness{Filter: raw.Filter}
	var err error
	if f.WarnAfter, err = parseAge(file, "warn_after", &raw.WarnAfter); err != nil {
		return nil, err
	}
	if f.ErrorAfter, err = parseAge(file, "error_after", &raw.ErrorAfter); err != nil {
		return nil, err
	}
	if f.WarnAfter == nil && f.ErrorAfter == nil {
		return nil, nil
	}
	return f, nil
}

func parseAge(file, key string, n *yaml.Node) (*manifest.Age, error) {
	if n.Kind == 0 || n.Tag == "!!null" {
		return nil, nil
	}
	var a struct {
		Count  *int   `yaml:"count"`
		Period string `yaml:"period"`
	}
	if err := n.Decode(&a); err != nil {
		return nil, fmt.Errorf("%s:%d:%d: freshness %s: want {count: N, period: minute|hour|day}: %v", file, n.Line, n.Column, key, err)
	}
	if a.Count == nil || *a.Count <= 0 {
		return nil, fmt.Errorf("%s:%d:%d: freshness %s: count must be a positive number", file, n.Line, n.Column, key)
	}
	switch a.Period {
	case "minute", "hour", "day":
	default:
		return nil, fmt.Errorf("%s:%d:%d: freshness %s: period must be minute, hour or day, got %q", file, n.Line, n.Column, key, a.Period)
	}
	return &manifest.Age{Count: *a.Count, Period: a.Period}, nil
}
