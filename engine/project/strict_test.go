package project

import (
	"strings"
	"testing"
)

func TestDecodePropsRejectsUnknownKeysAtAnyDepth(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"version: 2\nmodels:\n  - name: a\n    descripton: x\n", "p.yml:4: field descripton is not a known key in project.nodeProps"},
		{"version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        tset: 1\n", "p.yml:6: field tset is not a known key in project.columnProps"},
		{"version: 2\nsources:\n  - name: raw\n    tables:\n      - name: t\n        identifer: x\n", "p.yml:6: field identifer is not a known key"},
		{"versoin: 2\n", "p.yml:1: field versoin is not a known key in project.propsFile"},
	} {
		_, _, err := decodeProps("p.yml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.yaml, err, c.want)
		}
	}
}

func TestDecodePropsItemLines(t *testing.T) {
	pf, lines, err := decodeProps("p.yml", []byte("version: 2\nmodels:\n  - name: a\n    config: {materialized: table}\n  - name: b\nseeds:\n  - name: s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pf.Models) != 2 || pf.Models[1].Name != "b" || pf.Seeds[0].Name != "s" {
		t.Fatalf("decoded %+v", pf)
	}
	if got := lines["models"]; len(got) != 2 || got[0] != 3 || got[1] != 5 || lines["seeds"][0] != 7 {
		t.Fatalf("lines = %v", lines)
	}
}
