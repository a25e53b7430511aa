package selector

import (
	"errors"
	"strings"
	"testing"
)

func TestParseTree(t *testing.T) {
	tests := []struct {
		selects, excludes []string
		want              string
	}{
		{nil, nil, "all"},
		{[]string{"a"}, nil, "fqn:a"},
		{[]string{"+a b,tag:x"}, []string{"c"}, "difference(union(+fqn:a, intersection(fqn:b, tag:x)), fqn:c)"},
		{nil, []string{"c", "d"}, "difference(all, union(fqn:c, fqn:d))"},
		{[]string{"2+a+3"}, nil, "2+fqn:a+3"},
		{[]string{"@a"}, nil, "@fqn:a"},
		{[]string{"@+a"}, nil, "@+fqn:a"},
		{[]string{"models/x/"}, nil, "path:models/x/"},
		{[]string{"x.sql"}, nil, "file:x.sql"},
		{[]string{"2019_orders"}, nil, "fqn:2019_orders"},
		{[]string{"config.materialized:table+"}, nil, "config.materialized:table+"},
		{[]string{"source:src.tbl+"}, nil, "source:src.tbl+"},
	}
	for _, tt := range tests {
		sel, err := Parse(tt.selects, tt.excludes)
		if err != nil {
			t.Errorf("%v: %v", tt.selects, err)
			continue
		}
		if got := sel.String(); got != tt.want {
			t.Errorf("%v / %v: got %s, want %s", tt.selects, tt.excludes, got, tt.want)
		}
	}
}

func TestParseCriterionFields(t *testing.T) {
	c, err := ParseCriterion("3+config.meta.owner:ana+1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Method != MethodConfig || strings.Join(c.Args, ".") != "meta.owner" || c.Value != "ana" ||
		!c.Parents || c.ParentsDepth != 3 || !c.Children || c.ChildrenDepth != 1 || c.ChildrensParents {
		t.Errorf("got %+v", c)
	}
	c, err = ParseCriterion("+a+")
	if err != nil {
		t.Fatal(err)
	}
	if c.ParentsDepth != -1 || c.ChildrenDepth != -1 {
		t.Errorf("unlimited depths: got %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		selects []string
		token   string
		reason  string
	}{
		{[]string{"foo:bar"}, "foo:bar", `unknown method "foo"`},
		{[]string{""}, "", "empty selection"},
		{[]string{"  "}, "  ", "empty selection"},
		{[]string{"a,,b"}, "a,,b", "empty criterion"},
		{[]string{"a,"}, "a,", "empty criterion"},
		{[]string{"+"}, "+", "no value"},
		{[]string{"2+"}, "2+", "no value"},
		{[]string{"tag:"}, "tag:", "no value"},
		{[]string{":x"}, ":x", "missing method name"},
		{[]string{"a+x"}, "a+x", "malformed graph operator"},
		{[]string{"x+a"}, "x+a", "malformed graph operator"},
		{[]string{"a+1+"}, "a+1+", "malformed graph operator"},
		{[]string{"99999999999999999999+a"}, "99999999999999999999+a", "malformed depth"},
		{[]string{"a+99999999999999999999"}, "a+99999999999999999999", "malformed depth"},
		{[]string{"@a+"}, "@a+", `"@" prefix and a "+" suffix`},
		{[]string{"config:table"}, "config:table", "needs a key"},
		{[]string{"tag.x:y"}, "tag.x:y", "takes no argument"},
		{[]string{"resource_type:modle"}, "resource_type:modle", "unknown resource type"},
		{[]string{"test_type:foo"}, "test_type:foo", "unknown test type"},
		{[]string{"source:a.b.c.d"}, "source:a.b.c.d", "source selector"},
		{[]string{"tag:[x"}, "tag:[x", "bad pattern"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.selects, nil)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: err = %v, want *ParseError", tt.selects, err)
			continue
		}
		if pe.Token != tt.token || !strings.Contains(pe.Reason, tt.reason) {
			t.Errorf("%q: got token %q reason %q, want %q / %q", tt.selects, pe.Token, pe.Reason, tt.token, tt.reason)
		}
	}
	if _, err := Parse([]string{"a"}, []string{"b,"}); err == nil {
		t.Error("a bad --exclude must fail too")
	}
}

func TestParseIndirectSelection(t *testing.T) {
	for in, want := range map[string]IndirectSelection{"": IndirectEager, "Cautious": IndirectCautious, "empty": IndirectEmpty} {
		if got, err := ParseIndirectSelection(in); err != nil || got != want {
			t.Errorf("%q: got %q, %v", in, got, err)
		}
	}
	if _, err := ParseIndirectSelection("lazy"); err == nil {
		t.Error("want an error for an unknown mode")
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"usres", "users", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"same", "same", 0}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
