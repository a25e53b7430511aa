package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Shape describes a generated project: models spread over folders, each reffing about three
// earlier models, calling macros with arguments, reading a var and setting config in the file,
// plus one YAML property file per folder that documents every model and two of its columns,
// with three generic tests per model (not_null and unique on id, not_null on amount).
type Shape struct {
	Models  int
	Folders int
}

// Big is the project of the compile target: 10,000 models in 40 folders, 30,000 tests.
var Big = Shape{Models: 10_000, Folders: 40}

// Flavor picks the template language of a generated project: dwm's Go templates, or the same
// project for dbt (Jinja), so the two tools parse identical work side by side.
type Flavor int

const (
	DWM Flavor = iota
	DBT
)

// modelName is stable so refs and property files agree.
func modelName(i int) string { return fmt.Sprintf("m%05d", i) }

func folderOf(s Shape, i int) string { return fmt.Sprintf("f%02d", i%s.Folders) }

// parents returns the models i refs: a near, a middle and a far earlier model, all distinct.
func parents(i int) []int {
	var out []int
	for _, back := range []int{1, 17, 389} {
		if i-back >= 0 {
			out = append(out, i-back)
		}
	}
	return out
}

// syntax is what differs between the flavors: how a model calls config, ref, macros, var and
// is_incremental. Everything else (SQL, YAML, folders) is the same text.
type syntax struct {
	config      func(mat string, group int) string
	ref         func(name string) string
	macro       func(name string, args ...string) string
	incremental string
	macros      string
}

var dwmSyntax = syntax{
	config: func(mat string, g int) string {
		return fmt.Sprintf("{{ config \"materialized\" %q \"order_by\" \"id\" \"tags\" (list \"g%d\") }}", mat, g)
	},
	ref: func(name string) string { return fmt.Sprintf("{{ ref %q }}", name) },
	macro: func(name string, args ...string) string {
		return "{{ macro \"" + name + "\" " + strings.Join(args, " ") + " }}"
	},
	incremental: "{{ if is_incremental }} and p0.day > (select max(day) from {{ this }}){{ end }}",
	macros: `{{ define "cents" }}toInt64({{ index .Args 0 }} * {{ index .Args 1 }}){{ end }}
{{ define "since" }}{{ index .Args 0 }} >= toDate('{{ var "start_date" }}'){{ end }}
{{ define "coalesce_zero" }}coalesce({{ index .Args 0 }}, 0){{ end }}
`,
}

var dbtSyntax = syntax{
	config: func(mat string, g int) string {
		return fmt.Sprintf("{{ config(materialized='%s', order_by='id', tags=['g%d']) }}", mat, g)
	},
	ref: func(name string) string { return fmt.Sprintf("{{ ref('%s') }}", name) },
	macro: func(name string, args ...string) string {
		for i, a := range args {
			args[i] = strings.ReplaceAll(a, `"`, `'`)
		}
		return "{{ " + name + "(" + strings.Join(args, ", ") + ") }}"
	},
	incremental: "{% if is_incremental() %} and p0.day > (select max(day) from {{ this }}){% endif %}",
	macros: `{% macro cents(col, scale) %}toInt64({{ col }} * {{ scale }}){% endmacro %}
{% macro since(col) %}{{ col }} >= toDate('{{ var("start_date") }}'){% endmacro %}
{% macro coalesce_zero(col) %}coalesce({{ col }}, 0){% endmacro %}
`,
}

// projectFiles returns the files of a project that differ between the flavors.
func projectFiles(f Flavor) (map[string]string, syntax) {
	folders := "models:\n  bench:\n    +materialized: view\n    f00:\n      +materialized: table\n      +tags: [hot]\n"
	vars := "vars:\n  start_date: '2024-01-01'\n"
	if f == DBT {
		return map[string]string{
			"dbt_project.yml": "name: bench\nversion: '1.0'\nconfig-version: 2\nprofile: bench\n" +
				"model-paths: [models]\nmacro-paths: [macros]\n" + vars + folders,
			// dbt parse needs a profile but never connects; the address is loopback only.
			"profiles.yml": "bench:\n  target: dev\n  outputs:\n    dev:\n      type: clickhouse\n" +
				"      host: 127.0.0.1\n      port: 8123\n      user: default\n      schema: bench\n",
			"macros/util.sql": dbtSyntax.macros,
		}, dbtSyntax
	}
	return map[string]string{"project.yml": "name: bench\n" + vars + folders, "macros/util.sql": dwmSyntax.macros}, dwmSyntax
}

// Write writes the project under dir and returns the number of files written.
func Write(dir string, s Shape, f Flavor) (int, error) {
	files, sx := projectFiles(f)
	props := map[string]*strings.Builder{}
	for i := range s.Models {
		name, folder := modelName(i), folderOf(s, i)
		var b strings.Builder
		mat := "view"
		if i%5 == 0 {
			mat = "table"
		}
		b.WriteString(sx.config(mat, i%50) + "\n")
		ps := parents(i)
		if len(ps) == 0 {
			b.WriteString("select number as id, number * 3 as amount, toDate('2024-01-01') + number as day from numbers(10)\n")
		} else {
			fmt.Fprintf(&b, "select p0.id as id,\n  %s as amount,\n  p0.day as day", sx.macro("cents", `"p0.amount"`, "100"))
			for k := 1; k < len(ps); k++ {
				fmt.Fprintf(&b, ",\n  %s as amount_%d", sx.macro("coalesce_zero", fmt.Sprintf(`"p%d.amount"`, k)), k)
			}
			fmt.Fprintf(&b, "\nfrom %s as p0\n", sx.ref(modelName(ps[0])))
			for k := 1; k < len(ps); k++ {
				fmt.Fprintf(&b, "left join %s as p%d on p%d.id = p0.id\n", sx.ref(modelName(ps[k])), k, k)
			}
			b.WriteString("where " + sx.macro("since", `"p0.day"`) + sx.incremental + "\n")
		}
		files[filepath.Join("models", folder, name+".sql")] = b.String()
		pb := props[folder]
		if pb == nil {
			pb = &strings.Builder{}
			pb.WriteString("version: 2\nmodels:\n")
			props[folder] = pb
		}
		fmt.Fprintf(pb, "  - name: %s\n    description: Model %d of folder %s, generated for the compile benchmark.\n", name, i, folder)
		fmt.Fprintf(pb, "    columns:\n      - name: id\n        description: the key\n        data_tests: [not_null, unique]\n")
		fmt.Fprintf(pb, "      - name: amount\n        description: an amount in cents\n        data_tests: [not_null]\n")
	}
	for folder, pb := range props {
		files[filepath.Join("models", folder, "_"+folder+".yml")] = pb.String()
	}
	for p, text := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return 0, err
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			return 0, err
		}
	}
	return len(files), nil
}
