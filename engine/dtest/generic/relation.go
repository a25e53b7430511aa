package generic

import (
	"fmt"
	"regexp"
	"strings"
)

// RelationArg is a relation written in YAML, as dbt users write it: ref('x'), source('s', 't'),
// or a bare model name.
type RelationArg struct {
	Source string // the source name for source(...); empty for a model or seed
	Name   string // the model or seed name, or the source's table
}

var (
	refArgRe    = regexp.MustCompile(`^ref\(\s*['"]([^'"]+)['"]\s*\)$`)
	sourceArgRe = regexp.MustCompile(`^source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)$`)
	// dwm's own template syntax is accepted too, since users copy it from their models.
	tmplRefRe    = regexp.MustCompile(`^\{\{-?\s*ref\s+"([^"]+)"\s*-?\}\}$`)
	tmplSourceRe = regexp.MustCompile(`^\{\{-?\s*source\s+"([^"]+)"\s+"([^"]+)"\s*-?\}\}$`)
)

// ParseRelationArg parses a relation argument.
func ParseRelationArg(s string) (RelationArg, error) {
	s = strings.TrimSpace(s)
	if m := refArgRe.FindStringSubmatch(s); m != nil {
		return RelationArg{Name: m[1]}, nil
	}
	if m := tmplRefRe.FindStringSubmatch(s); m != nil {
		return RelationArg{Name: m[1]}, nil
	}
	if m := sourceArgRe.FindStringSubmatch(s); m != nil {
		return RelationArg{Source: m[1], Name: m[2]}, nil
	}
	if m := tmplSourceRe.FindStringSubmatch(s); m != nil {
		return RelationArg{Source: m[1], Name: m[2]}, nil
	}
	if identRe.MatchString(s) {
		return RelationArg{Name: s}, nil
	}
	return RelationArg{}, fmt.Errorf("%q is not a relation: write ref('model'), source('source', 'table') or a model name", s)
}

// String writes the relation back as dbt users read it.
func (r RelationArg) String() string {
	if r.Source != "" {
		return fmt.Sprintf("source('%s', '%s')", r.Source, r.Name)
	}
	return fmt.Sprintf("ref('%s')", r.Name)
}
