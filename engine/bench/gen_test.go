package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// shape describes a generated project: models spread over folders, each reffing about three
// earlier models, calling macros with arguments, reading a var and setting config in the file,
// plus one YAML property file per folder that documents every model and column.
type shape struct {
	models  int
	folders int
}

// modelName is stable so refs and property files agree.
func modelName(i int) string { return fmt.Sprintf("m%05d", i) }

func folderOf(s shape, i int) string { return fmt.Sprintf("f%02d", i%s.folders) }

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

// writeProject writes the project under dir and returns the number of files written.
func writeProject(dir string, s shape) (int, error) {
	files := map[string]string{
		"project.yml": "name: bench\nvars:\n  start_date: '2024-01-01'\nmodels:\n  bench:\n    +materialized: view\n" +
			"    f00:\n      +materialized: table\n      +tags: [hot]\n",
		"macros/util.sql": `{{ define "cents" }}toInt64({{ index .Args 0 }} * {{ index .Args 1 }}){{ end }}
{{ define "since" }}{{ index .Args 0 }} >= toDate('{{ var "start_date" }}'){{ end }}
{{ define "coalesce_zero" }}coalesce({{ index .Args 0 }}, 0){{ end }}
`,
	}
	props := map[string]*strings.Builder{}
	for i := range s.models {
		name, folder := modelName(i), folderOf(s, i)
		var b strings.Builder
		mat := "view"
		if i%5 == 0 {
			mat = "table"
		}
		fmt.Fprintf(&b, "{{ config \"materialized\" %q \"order_by\" \"id\" \"tags\" (list \"g%d\") }}\n", mat, i%50)
		ps := parents(i)
		if len(ps) == 0 {
			b.WriteString("select number as id, number * 3 as amount, toDate('2024-01-01') + number as day from numbers(10)\n")
		} else {
			fmt.Fprintf(&b, "select p0.id as id,\n  {{ macro \"cents\" \"p0.amount\" 100 }} as amount,\n  p0.day as day")
			for k := 1; k < len(ps); k++ {
				fmt.Fprintf(&b, ",\n  {{ macro \"coalesce_zero\" \"p%d.amount\" }} as amount_%d", k, k)
			}
			fmt.Fprintf(&b, "\nfrom {{ ref %q }} as p0\n", modelName(ps[0]))
			for k := 1; k < len(ps); k++ {
				fmt.Fprintf(&b, "left join {{ ref %q }} as p%d on p%d.id = p0.id\n", modelName(ps[k]), k, k)
			}
			b.WriteString("where {{ macro \"since\" \"p0.day\" }}{{ if is_incremental }} and p0.day > (select max(day) from {{ this }}){{ end }}\n")
		}
		files[filepath.Join("models", folder, name+".sql")] = b.String()
		pb := props[folder]
		if pb == nil {
			pb = &strings.Builder{}
			pb.WriteString("version: 2\nmodels:\n")
			props[folder] = pb
		}
		fmt.Fprintf(pb, "  - name: %s\n    description: Model %d of folder %s, generated for the compile benchmark.\n", name, i, folder)
		fmt.Fprintf(pb, "    columns:\n      - name: id\n        description: the key\n        tests: [not_null, unique]\n")
		fmt.Fprintf(pb, "      - name: amount\n        description: an amount in cents\n")
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
