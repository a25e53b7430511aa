package tmpl

import "testing"

func TestSyntaxErrorsGetColumns(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"select 1,\n  {{ ref \"a\" \n", `models/a.sql:2:3: unclosed action: no }} after this {{`},
		{"select {{ ref \"a\"\n  from x", `models/a.sql:2:3: function "from" not defined (inside an action opened on an earlier line: is a }} missing?)`},
		{"select nosuchfunc,\n  {{ nosuchfunc 1 }}", `models/a.sql:2:6: function "nosuchfunc" not defined`},
		{"select {{ ref \"a\" }", `models/a.sql:1:19: unexpected "}" in operand`},
		{"select 1\n  {{- end }}", `models/a.sql:2:3: unexpected {{end}}`},
		{"select {{ if true }} 1", `models/a.sql:1: unexpected EOF`}, // no findable token: line only
	} {
		_, err := NewEngine().Parse("models/a.sql", c.src, nil)
		if err == nil || err.Error() != c.want {
			t.Errorf("%q:\n got %v\nwant %s", c.src, err, c.want)
		}
	}
}
