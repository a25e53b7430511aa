package dbtimport

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"

	"github.com/dwmhq/dwm/engine/dbtimport/jinja"
	"gopkg.in/yaml.v3"
)

// profileFields maps dbt-clickhouse output fields to dwm target fields. Fields dwm resolves
// {{ env_var }} in are the strings; port and threads must be numbers.
var profileFields = map[string]string{
	"host": "host", "port": "port", "user": "user", "password": "password", "schema": "database",
	"driver": "protocol", "secure": "secure", "cluster": "cluster", "threads": "threads",
	"custom_settings": "settings",
}

// envFields are the target fields in which dwm expands {{ env_var }}.
var envFields = map[string]bool{"host": true, "user": true, "password": true, "database": true, "cluster": true, "protocol": true}

// targets writes targets: from the profile dbt_project.yml names, plus `local`, an embedded
// ClickHouse target to build on without a server.
func (im *importer) targets(out *yaml.Node) error {
	file := im.opts.ProfilesFile
	raw := im.opts.Profiles
	if raw == nil {
		file = "profiles.yml"
		b, err := fs.ReadFile(im.src, file)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		raw = b
	}
	targets := mapping()
	defaultTarget := "local"
	if raw != nil && im.proj.profile != "" {
		var doc yaml.Node
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		var prof *yaml.Node
		if len(doc.Content) > 0 {
			prof = get(doc.Content[0], im.proj.profile)
		}
		if prof == nil {
			im.note(fmt.Sprintf("%s: no profile %q; only the local target is written", file, im.proj.profile))
		} else {
			if t := get(prof, "target"); t != nil {
				defaultTarget = im.profileTarget(file, t)
			}
			outputs := get(prof, "outputs")
			for i := 0; outputs != nil && i+1 < len(outputs.Content); i += 2 {
				name, o := outputs.Content[i].Value, outputs.Content[i+1]
				if t := im.target(file, name, o); t != nil {
					set(targets, name, t)
				}
			}
		}
	} else if raw == nil && im.proj.profile != "" {
		im.note("profiles.yml not found next to dbt_project.yml (pass --profiles-dir); only the local target is written")
	}
	if get(targets, "local") == nil {
		local := mapping()
		set(local, "type", scalar("chdb"))
		set(targets, "local", local)
	}
	if get(targets, defaultTarget) == nil {
		defaultTarget = "local"
	}
	set(out, "target", scalar(defaultTarget))
	set(out, "targets", targets)
	return nil
}

func (im *importer) target(file, name string, o *yaml.Node) *yaml.Node {
	if typ := get(o, "type"); typ == nil || typ.Value != "clickhouse" {
		im.note(fmt.Sprintf("%s: output %s is not type clickhouse; skipped", file, name))
		return nil
	}
	t := mapping()
	set(t, "type", scalar("clickhouse"))
	protocol := "http" // dbt-clickhouse's default driver
	var keys []string
	for i := 0; i+1 < len(o.Content); i += 2 {
		keys = append(keys, o.Content[i].Value)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := get(o, k)
		to, ok := profileFields[k]
		switch {
		case k == "type" || k == "database":
			continue // dbt-clickhouse's database is unused: schema names the ClickHouse database
		case !ok:
			im.note(fmt.Sprintf("%s: target %s: %s dropped: dwm has no equivalent", file, name, k))
			continue
		}
		im.yamlStrings(file, v)
		if v.Kind == yaml.ScalarNode && containsAction(v.Value) && !envFields[to] {
			im.problemf(file, v.Line, v.Column, k, "dwm reads %s as a literal; env_var works in host, user, password, schema and cluster", k)
		}
		if to == "protocol" {
			protocol = v.Value
			continue
		}
		set(t, to, v)
	}
	set(t, "protocol", scalar(protocol))
	return t
}

func containsAction(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '{' && s[i+1] == '{' {
			return true
		}
	}
	return false
}

// profileTarget reads the profile's default target. dwm's `target:` is a name, not a template:
// target: "{{ env_var('T', 'prod') }}" becomes its default, and --target picks another.
func (im *importer) profileTarget(file string, t *yaml.Node) string {
	if !containsAction(t.Value) {
		return t.Value
	}
	segs, err := jinja.Lex(t.Value)
	if err == nil && len(segs) == 1 && segs[0].Kind == jinja.Output {
		if x, err := jinja.ParseExpr(segs[0].Body); err == nil {
			if c, ok := x.(jinja.Call); ok && isName(c.Fn, "env_var") && len(c.Args) == 2 {
				name, ok1 := stringLit(c.Args[0])
				def, ok2 := stringLit(c.Args[1])
				if ok1 && ok2 {
					im.note(fmt.Sprintf("%s:%d: target is %s, the default of env_var %s; choose another with --target", file, t.Line, def, name))
					return def
				}
			}
		}
	}
	im.problemf(file, t.Line, t.Column, t.Value, "dwm's default target is a name; use --target to choose one")
	return ""
}
