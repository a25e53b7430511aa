package tmpl

import "github.com/dwmhq/dwm/engine/dbtimport"

// jinjaErr reports Jinja written where dwm expects a Go template: a dbt user's first model would
// otherwise get `unexpected "(" in operand`, or worse, a {% if %} that passes through as text and
// fails inside ClickHouse. actions says Go's parser already failed, so {{ }} actions that look
// like Jinja count too.
func jinjaErr(file, text string, actions bool) error {
	f, ok := dbtimport.FindJinja(text, actions)
	if !ok {
		return nil
	}
	return &PosError{File: file, Line: f.Line, Col: f.Col, Msg: f.Message()}
}

// CheckJinja reports Jinja in a YAML file dwm reads (project.yml, property files), such as
// {{ doc('x') }} or {{ env_var('X') }}, with its dwm form.
func CheckJinja(file, text string) error { return jinjaErr(file, text, true) }
