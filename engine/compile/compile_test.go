package compile

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dwmhq/dwm/engine/project"
)

func TestEphemeralInlinedAsCTE(t *testing.T) {
	fs := fstest.MapFS{
		"project.yml":   {Data: []byte("name: p\nvars: {lim: 5}\n")},
		"models/e1.sql": {Data: []byte(`{{ config "materialized" "ephemeral" }}select * from {{ ref "e2" }}`)},
		"models/e2.sql": {Data: []byte(`{{ config "materialized" "ephemeral" }}select 1 as x`)},
		"models/m.sql":  {Data: []byte("-- head\nWITH y AS (select 2) select * from {{ ref \"e1\" }}, y limit {{ var \"lim\" }}")},
	}
	p, err := project.Load(fs, project.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := New(p, func(string) (string, bool) { return "", false })
	got, err := c.Node("model.p.m", Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "-- head\nWITH `__dwm_cte__e1` AS (\nWITH `__dwm_cte__e2` AS (\nselect 1 as x\n)\nselect * from `__dwm_cte__e2`\n),\ny AS (select 2) select * from `__dwm_cte__e1`, y limit 5"
	if got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	inl, err := c.Inline(`select count() from {{ ref "m" }}`)
	if err != nil || inl != "select count() from `p`.`m`" {
		t.Fatalf("inline = %q, %v", inl, err)
	}
}

func TestInjectCTEs(t *testing.T) {
	cases := map[string]string{
		"select 1":                     "WITH c AS (x)\nselect 1",
		"  with a as (select 1) s":     "  WITH c AS (x),\na as (select 1) s",
		"/* x */ WITH\n1 AS k s":       "/* x */ WITH c AS (x),\n1 AS k s",
		"withdrawals_select":           "WITH c AS (x)\nwithdrawals_select",
		"-- c\n-- d\nselect 2 as with": "-- c\n-- d\nWITH c AS (x)\nselect 2 as with",
	}
	for in, want := range cases {
		if got := InjectCTEs(in, "c AS (x)"); got != want {
			t.Errorf("InjectCTEs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVarAndEnvErrors(t *testing.T) {
	fs := fstest.MapFS{
		"project.yml":  {Data: []byte("name: p\n")},
		"models/m.sql": {Data: []byte("select '{{ env_var \"HOME_X\" \"d\" }}'\n, {{ var \"nope\" }}")},
	}
	p, err := project.Load(fs, project.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(p, func(string) (string, bool) { return "", false }).Node("model.p.m", Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "models/m.sql:2:5:") || !strings.Contains(err.Error(), `var "nope"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestBatchRef: a singular test's batch_ref renders the relation Options.Batches gives, else the
// whole relation (what dwm compile shows); the relation is a dependency like a ref; a model may
// not use it.
func TestBatchRef(t *testing.T) {
	fs := fstest.MapFS{
		"project.yml":        {Data: []byte("name: p\n")},
		"models/a.sql":       {Data: []byte(`select 1 as x`)},
		"models/b.sql":       {Data: []byte(`select 2 as x`)},
		"models/bad.sql":     {Data: []byte(`select * from {{ batch_ref "a" }}`)},
		"tests/assert_x.sql": {Data: []byte(`select * from {{ batch_ref "a" }} join {{ batch_ref "b" }} using x`)},
	}
	p, err := project.Load(fs, project.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := "test.p.assert_x"
	if deps := strings.Join(p.Manifest.Nodes[id].DependsOn, ","); deps != "model.p.a,model.p.b" {
		t.Fatalf("depends_on = %s", deps)
	}
	c := New(p, func(string) (string, bool) { return "", false })
	full, err := c.Node(id, Options{})
	if want := "select * from `p`.`a` join `p`.`b` using x"; err != nil || full != want {
		t.Fatalf("full = %q, %v; want %q", full, err, want)
	}
	scoped, err := c.Node(id, Options{Batches: map[string]string{"model.p.a": "(new a)"}})
	if want := "select * from (new a) join `p`.`b` using x"; err != nil || scoped != want {
		t.Fatalf("scoped = %q, %v; want %q", scoped, err, want)
	}
	if _, err := c.Node("model.p.bad", Options{}); err == nil || !strings.Contains(err.Error(), "only a singular test") {
		t.Fatalf("batch_ref in a model: err = %v", err)
	}
}
