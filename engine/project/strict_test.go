package project

import (
	"strings"
	"testing"
)

func TestDecodePropsRejectsUnknownKeysAtAnyDepth(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"version: 2\nmodels:\n  - name: a\n    descripton: x\n", `p.yml:4:5: unknown key "descripton" in a model or seed; did you mean description`},
		{"version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n        tset: 1\n", `p.yml:6:9: unknown key "tset" in a column`},
		{"version: 2\nsources:\n  - name: raw\n    tables:\n      - name: t\n        identifer: x\n", `p.yml:6:9: unknown key "identifer" in a source table; did you mean identifier?`},
		{"versoin: 2\n", `p.yml:1:1: unknown key "versoin" in a property file; did you mean version?`},
		// Decoder messages lose their Go type names; syntax errors point at the faulty line,
		// where yaml.v3 says the 0-based line of the enclosing block.
		{"version: 2\nmodels:\n  - name: m\n    columns: oops\n", "p.yml:4: expected a list, got a string (oops)"},
		{"version: 2\nmodels:\n  - name: m\n    description: [1, 2]\n", "p.yml:4: expected a string, got a list"},
		{"version: 2\nmodels:\n  - name: m\n    columns:\n      - name: a\n       description: x\n", "p.yml:6: did not find expected '-' indicator"},
		{"version: 2\nmodels:\n  - name: m\n- x\n", "p.yml:4: did not find expected key"},
		{"version: 2\nmodels:\n  - name: m\n    description: \"caf\xe9\"\n", "p.yml:4:22: not valid UTF-8 (byte 0xe9)"},
	} {
		_, _, err := decodeProps("p.yml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.yaml, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "project.") {
			t.Errorf("%q: a Go type name in %v", c.yaml, err)
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
