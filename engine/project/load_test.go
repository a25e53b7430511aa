package project

import (
	"strings"
	"testing"
	"testing/fstest"
)

func mapfs(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for k, v := range files {
		m[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return m
}

func load(t *testing.T, files map[string]string) (*Project, error) {
	t.Helper()
	return Load(mapfs(files), Options{Getenv: func(string) (string, bool) { return "", false }})
}

func TestLoadCascadeAndDeps(t *testing.T) {
	p, err := load(t, map[string]string{
		"project.yml": `name: shop
vars: {n: 3}
models:
  +materialized: view
  +tags: [all]
  marts:
    +materialized: table
    +tags: [mart]
`,
		"seeds/raw_orders.csv":       "id,amount\n1,2\n",
		"models/staging/stg.sql":     `select * from {{ ref "raw_orders" }}`,
		"models/marts/orders.sql":    `{{ config "order_by" "id" }}select * from {{ ref "stg" }}{{ if false }}{{ ref "eph" }}{{ end }}`,
		"models/marts/eph.sql":       `{{ config "materialized" "ephemeral" }}select 1`,
		"models/marts/props.yml":     "version: 2\nmodels:\n  - name: orders\n    description: All orders\n    config: {engine: ReplacingMergeTree}\n    columns:\n      - name: id\n        tests: [unique, not_null, {accepted_range: {min: 0}}]\n",
		"macros/m.sql":               `{{ define "x" }}{{ ref "stg" }}{{ end }}`,
		"models/staging/via_mac.sql": `select * from {{ macro "x" }}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := p.Manifest
	o := m.Nodes["model.shop.orders"]
	if o.Config.Materialized != "table" || o.Config.OrderBy != "id" || o.Config.Engine != "ReplacingMergeTree" {
		t.Fatalf("orders config = %+v", o.Config)
	}
	if strings.Join(o.Config.Tags, ",") != "all,mart" {
		t.Fatalf("tags = %v", o.Config.Tags)
	}
	if strings.Join(o.DependsOn, ",") != "model.shop.eph,model.shop.stg" {
		t.Fatalf("orders deps = %v", o.DependsOn)
	}
	if s := m.Nodes["model.shop.stg"]; s.Config.Materialized != "view" || s.DependsOn[0] != "seed.shop.raw_orders" {
		t.Fatalf("stg = %+v", s)
	}
	if v := m.Nodes["model.shop.via_mac"]; len(v.DependsOn) != 1 || v.DependsOn[0] != "model.shop.stg" {
		t.Fatalf("macro ref not a dependency: %v", v.DependsOn)
	}
	if o.Description != "All orders" || len(o.Columns) != 1 || len(o.Columns[0].Tests) != 3 || o.Columns[0].Tests[2].Args["min"] != 0 {
		t.Fatalf("props = %+v", o.Columns)
	}
	if o.Relation() != "`shop`.`orders`" || o.FQN[1] != "marts" {
		t.Fatalf("relation %s fqn %v", o.Relation(), o.FQN)
	}
}

func TestLoadErrors(t *testing.T) {
	base := map[string]string{"project.yml": "name: p\n"}
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"missing name", map[string]string{"project.yml": "target: dev\n"}, []string{"project.yml: name is required"}},
		{"unknown project key", map[string]string{"project.yml": "name: p\nmodles: {}\n"}, []string{"project.yml:2:", "modles"}},
		{"bad yaml", map[string]string{"project.yml": "name: p\nvars: [\n"}, []string{"project.yml:"}},
		{"duplicate model", map[string]string{"models/a/x.sql": "select 1", "models/b/x.sql": "select 2"}, []string{"models/b/x.sql", "models/a/x.sql", "unique"}},
		{"unknown ref", map[string]string{"models/a.sql": "select 1", "models/b.sql": "select\n * from {{ ref \"aa\" }}"}, []string{"models/b.sql:2:12:", `ref "aa"`, "did you mean a"}},
		{"unknown config key in file", map[string]string{"models/a.sql": `{{ config "materialised" "table" }}select 1`}, []string{"models/a.sql:1:4:", "materialised", "did you mean materialized"}},
		{"unknown config key in project", map[string]string{"project.yml": "name: p\nmodels:\n  +order_bye: x\n"}, []string{"project.yml:3:3:", "order_bye"}},
		{"bad yaml props", map[string]string{"models/a.sql": "select 1", "models/s.yml": "version: 2\nmodels:\n  - name: a\n    colums: []\n"}, []string{"models/s.yml:4", "colums"}},
		{"props for missing model", map[string]string{"models/a.sql": "select 1", "models/s.yml": "version: 2\nmodels:\n  - name: b\n"}, []string{"models/s.yml:3", `model "b"`}},
		{"template syntax", map[string]string{"models/a.sql": "select {{ if }}"}, []string{"models/a.sql:1"}},
		{"undeclared source", map[string]string{"models/a.sql": `select * from {{ source "raw" "t" }}`}, []string{"models/a.sql:1:18:", "raw.t"}},
		{"unknown materialization", map[string]string{"models/a.sql": `{{ config "materialized" "tabel" }}select 1`}, []string{"models/a.sql", "tabel"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range base {
				files[k] = v
			}
			for k, v := range c.files {
				files[k] = v
			}
			_, err := Load(mapfs(files), Options{Materializations: []string{"view", "table", "ephemeral", "incremental"}})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestTargets(t *testing.T) {
	f := &File{Name: "p", Targets: map[string]Target{"prod": {Type: "clickhouse", Host: "h", Password: `{{ env_var "PW" }}`}}}
	_, tg, err := f.ResolveTarget("prod", func(k string) (string, bool) { return "s3cret", k == "PW" })
	if err != nil || tg.Password != "s3cret" || tg.Database != "p" {
		t.Fatalf("target = %+v, %v", tg, err)
	}
	if _, _, err := f.ResolveTarget("prod", func(string) (string, bool) { return "", false }); err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "PW") {
		t.Fatalf("err = %v", err)
	}
	_, tg, err = (&File{Name: "p"}).ResolveTarget("", nil)
	if err != nil || tg.Type != "chdb" || tg.Path != ".dwm/dev" || tg.Database != "p" {
		t.Fatalf("default target = %+v, %v", tg, err)
	}
}

// TestConfigByNodeName: as in dbt, the last level of a models:/seeds: tree may name the node
// itself (dbt's fqn ends with it), which is how dbt projects give one seed its column_types.
// Before the fix only folders matched and the config was silently ignored.
func TestConfigByNodeName(t *testing.T) {
	p, err := load(t, map[string]string{
		"project.yml": `name: shop
seeds:
  shop:
    raw_orders:
      +column_types: {id: UInt32}
models:
  staging:
    stg:
      +materialized: table
`,
		"seeds/raw_orders.csv":   "id,amount\n1,2\n",
		"models/staging/stg.sql": `select * from {{ ref "raw_orders" }}`,
		"models/staging/oth.sql": `select 1`,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Manifest.Nodes["seed.shop.raw_orders"].Config.ColumnTypes["id"]; got != "UInt32" {
		t.Errorf("seed column_types by seed name: id = %q, want UInt32", got)
	}
	if got := p.Manifest.Nodes["model.shop.stg"].Config.Materialized; got != "table" {
		t.Errorf("model config by model name: materialized = %q, want table", got)
	}
	if got := p.Manifest.Nodes["model.shop.oth"].Config.Materialized; got == "table" {
		t.Errorf("a sibling got the config of stg")
	}
}
