package dbtimport_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dwmhq/dwm/engine/dbtimport"
)

// TestProjectFile: dbt_project.yml and the profile it names become project.yml. Nested configs
// keep their shape (with or without +), env_var stays an environment lookup, a port read from
// the environment is reported (dwm's port is a number), and dropped settings are noted.
func TestProjectFile(t *testing.T) {
	src := fstest.MapFS{
		"dbt_project.yml": {Data: []byte(`name: shop
version: '2.0'
config-version: 2
profile: shop
clean-targets: [target]
vars:
  days: 7
models:
  shop:
    +materialized: view
    marts:
      materialized: table
      +persist_docs: {relation: true}
      +materialized_by: x
seeds:
  +delimiter: ";"
on-run-start: []
`)},
		"profiles.yml": {Data: []byte(`shop:
  target: "{{ env_var('SHOP_TARGET', 'ci') }}"
  outputs:
    ci:
      type: clickhouse
      host: "{{ env_var('CH_HOST', '127.0.0.1') }}"
      port: "{{ env_var('CH_PORT') | as_number }}"
      password: "{{ env_var('DBT_ENV_SECRET_PW') }}"
      schema: shop_ci
      driver: native
      verify: false
    pg:
      type: postgres
other:
  outputs: {}
`)},
	}
	res, err := dbtimport.Import(src, dbtimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := `# Imported from a dbt project by ` + "`dwm import dbt`" + `.
name: shop
target: ci
targets:
  ci:
    type: clickhouse
    host: '{{ env_var "CH_HOST" "127.0.0.1" }}'
    password: '{{ env_var "DBT_ENV_SECRET_PW" }}'
    port: '{{ env_var "CH_PORT" }}'
    database: shop_ci
    protocol: native
  local:
    type: chdb
version: '2.0'
vars:
  days: 7
models:
  shop:
    +materialized: view
    marts:
      materialized: table
      +materialized_by: x
seeds:
  +delimiter: ";"
`
	if got := string(res.Files["project.yml"]); got != want {
		t.Errorf("project.yml:\n%s\nwant:\n%s", got, want)
	}
	var problems []string
	for _, p := range res.Problems {
		problems = append(problems, p.String())
	}
	wantProblems := []string{
		"dbt_project.yml:14:7: +materialized_by: config materialized_by has no dwm equivalent",
		"profiles.yml:7:13: port: dwm reads port as a literal; env_var works in host, user, password, schema and cluster",
	}
	if strings.Join(problems, "\n") != strings.Join(wantProblems, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(wantProblems, "\n"))
	}
	notes := strings.Join(res.Notes, "\n")
	for _, n := range []string{
		"profiles.yml:2: target is ci, the default of env_var SHOP_TARGET; choose another with --target",
		"profiles.yml: target ci: verify dropped: dwm has no equivalent",
		"profiles.yml: output pg is not type clickhouse; skipped",
		"dbt_project.yml:13: +persist_docs dropped",
	} {
		if !strings.Contains(notes, n) {
			t.Errorf("notes lack %q:\n%s", n, notes)
		}
	}
}
