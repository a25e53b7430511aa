package selector

import (
	"slices"
	"strings"
	"testing"
)

// everything except the given short names.
func allBut(t *testing.T, except string) string {
	t.Helper()
	d, _ := fixture(t)
	var keep []string
	for _, n := range short(d.IDs()) {
		if !slices.Contains(strings.Fields(except), n) {
			keep = append(keep, n)
		}
	}
	return strings.Join(keep, " ")
}

type selectCase struct {
	name     string
	selects  []string
	excludes []string
	mode     IndirectSelection
	want     string
}

func runSelectCases(t *testing.T, cases []selectCase) {
	t.Helper()
	d, m := fixture(t)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := Parse(tt.selects, tt.excludes)
			if err != nil {
				t.Fatal(err)
			}
			got, warnings := sel.Select(d, m, Options{Indirect: tt.mode})
			if g, w := short(got), names(tt.want); !slices.Equal(g, w) {
				t.Errorf("%s\n got %v\nwant %v", sel, g, w)
			}
			if len(warnings) > 0 {
				t.Errorf("unexpected warnings %v", warnings)
			}
		})
	}
}

// Graph operators, with indirect test selection off so only the operators are at work. Tests
// are graph nodes like any other, so descendants include them.
func TestGraphOperators(t *testing.T) {
	runSelectCases(t, []selectCase{
		{name: "bare name", selects: []string{"stg_a"}, mode: IndirectEmpty, want: "stg_a"},
		{name: "+ prefix: all ancestors", selects: []string{"+int"}, mode: IndirectEmpty,
			want: "int stg_a stg_b raw_seed app.raw_users"},
		{name: "+ suffix: all descendants", selects: []string{"int+"}, mode: IndirectEmpty,
			want: "int mart_1 mart_2 relationships_int_stg_b unique_mart_1_id assert_mart_2_positive"},
		{name: "1+: parents", selects: []string{"1+mart_1"}, mode: IndirectEmpty, want: "mart_1 int"},
		{name: "2+: grandparents", selects: []string{"2+mart_1"}, mode: IndirectEmpty, want: "mart_1 int stg_a stg_b"},
		{name: "0+: nothing more", selects: []string{"0+mart_1"}, mode: IndirectEmpty, want: "mart_1"},
		{name: "+1: children", selects: []string{"int+1"}, mode: IndirectEmpty,
			want: "int mart_1 mart_2 relationships_int_stg_b"},
		{name: "2+x+1", selects: []string{"1+int+1"}, mode: IndirectEmpty,
			want: "stg_a stg_b int mart_1 mart_2 relationships_int_stg_b"},
		{name: "+x+", selects: []string{"+int+"}, mode: IndirectEmpty,
			want: allBut(t, "users user_activity not_null_stg_a_id not_null_raw_users_id")},
		{name: "x+ leaves out siblings", selects: []string{"stg_a+"}, mode: IndirectEmpty,
			want: "stg_a int mart_1 mart_2 not_null_stg_a_id relationships_int_stg_b unique_mart_1_id assert_mart_2_positive"},
		{
			// @ adds the ancestors of every descendant: stg_b and the source feed int. It
			// leaves out what merely shares an ancestor (not_null_raw_users_id) and the
			// unrelated users models.
			name: "@: descendants and their ancestors", selects: []string{"@stg_a"}, mode: IndirectEmpty,
			want: "stg_a int mart_1 mart_2 not_null_stg_a_id relationships_int_stg_b unique_mart_1_id " +
				"assert_mart_2_positive raw_seed stg_b app.raw_users",
		},
		{name: "@ on a leaf is +leaf", selects: []string{"@mart_1"}, mode: IndirectEmpty,
			want: "mart_1 unique_mart_1_id int stg_a stg_b raw_seed app.raw_users"},
		{name: "operators on a method", selects: []string{"tag:hourly+"}, mode: IndirectEmpty,
			want: "mart_2 assert_mart_2_positive"},
		{name: "operators on a source", selects: []string{"source:app+1"}, mode: IndirectEmpty,
			want: "app.raw_users stg_b not_null_raw_users_id"},
	})
}

func TestSetOperators(t *testing.T) {
	runSelectCases(t, []selectCase{
		{name: "space is union", selects: []string{"mart_1 mart_2"}, mode: IndirectEmpty, want: "mart_1 mart_2"},
		{name: "repeated --select is union", selects: []string{"mart_1", "users"}, mode: IndirectEmpty, want: "mart_1 users"},
		{name: "extra whitespace", selects: []string{"  mart_1 \t users "}, mode: IndirectEmpty, want: "mart_1 users"},
		{name: "comma is intersection", selects: []string{"tag:nightly,+mart_1"}, mode: IndirectEmpty,
			want: "stg_a int mart_1"},
		{name: "three-way intersection", selects: []string{"tag:nightly,+mart_1,config.materialized:table"},
			mode: IndirectEmpty, want: "int mart_1"},
		{name: "empty intersection", selects: []string{"stg_a,tag:hourly"}, mode: IndirectEmpty, want: ""},
		{name: "exclude", selects: []string{"+mart_1"}, excludes: []string{"stg_a"}, mode: IndirectEmpty,
			want: "mart_1 int stg_b raw_seed app.raw_users"},
		{name: "exclude union of words", selects: []string{"+mart_1"}, excludes: []string{"stg_a raw_seed", "source:app"},
			mode: IndirectEmpty, want: "mart_1 int stg_b"},
		{name: "exclude with operators", selects: []string{"+mart_1"}, excludes: []string{"+stg_b"},
			mode: IndirectEmpty, want: "mart_1 int stg_a"},
		{name: "exclude only: from everything", excludes: []string{"tag:nightly"}, mode: IndirectEmpty,
			want: allBut(t, "stg_a int mart_1")},
		{name: "nothing given: everything", want: allBut(t, "")},
	})
}

func TestMethods(t *testing.T) {
	runSelectCases(t, []selectCase{
		{name: "name glob", selects: []string{"stg_*"}, mode: IndirectEmpty, want: "stg_a stg_b"},
		{name: "name glob ?", selects: []string{"mart_?"}, mode: IndirectEmpty, want: "mart_1 mart_2"},
		{name: "class glob", selects: []string{"mart_[!2]"}, mode: IndirectEmpty, want: "mart_1"},
		{name: "fqn folder", selects: []string{"staging"}, mode: IndirectEmpty, want: "stg_a stg_b not_null_stg_a_id not_null_raw_users_id"},
		{name: "fqn nested folder", selects: []string{"marts.finance"}, mode: IndirectEmpty, want: "mart_1"},
		{name: "fqn with project", selects: []string{"p.marts"}, mode: IndirectEmpty, want: "mart_1 mart_2 unique_mart_1_id"},
		{name: "fqn full", selects: []string{"fqn:p.marts.finance.mart_1"}, mode: IndirectEmpty, want: "mart_1"},
		{name: "fqn folder glob", selects: []string{"staging.stg_*"}, mode: IndirectEmpty, want: "stg_a stg_b"},
		{name: "fqn leading glob", selects: []string{"*.marts.*"}, mode: IndirectEmpty, want: "mart_1 mart_2 unique_mart_1_id"},
		{name: "fqn star is every non-source", selects: []string{"*"}, mode: IndirectEmpty, want: allBut(t, "app.raw_users")},
		{name: "path directory", selects: []string{"path:models/marts"}, mode: IndirectEmpty, want: "mart_1 mart_2 unique_mart_1_id"},
		{name: "path trailing slash", selects: []string{"path:models/marts/"}, mode: IndirectEmpty, want: "mart_1 mart_2 unique_mart_1_id"},
		{name: "bare path", selects: []string{"models/staging"}, mode: IndirectEmpty,
			want: "stg_a stg_b app.raw_users not_null_stg_a_id not_null_raw_users_id"},
		{name: "bare path ./", selects: []string{"./models/intermediate/"}, mode: IndirectEmpty, want: "int relationships_int_stg_b"},
		{name: "path file", selects: []string{"models/marts/finance/mart_1.sql"}, mode: IndirectEmpty, want: "mart_1"},
		{name: "path glob", selects: []string{"path:models/*/mart_2.sql"}, mode: IndirectEmpty, want: "mart_2"},
		{name: "path **", selects: []string{"path:models/**/mart_*.sql"}, mode: IndirectEmpty, want: "mart_1 mart_2"},
		{name: "bare file", selects: []string{"mart_2.sql"}, mode: IndirectEmpty, want: "mart_2"},
		{name: "file without extension", selects: []string{"file:raw_seed"}, mode: IndirectEmpty, want: "raw_seed"},
		{name: "tag", selects: []string{"tag:nightly"}, mode: IndirectEmpty, want: "stg_a int mart_1"},
		{name: "tag glob", selects: []string{"tag:*ly"}, mode: IndirectEmpty, want: "stg_a int mart_1 mart_2"},
		{name: "config typed field", selects: []string{"config.materialized:table"}, mode: IndirectEmpty, want: "int mart_1"},
		{name: "config list", selects: []string{"config.tags:finance"}, mode: IndirectEmpty, want: "mart_1"},
		{name: "config raw key", selects: []string{"config.schema:analytics"}, mode: IndirectEmpty, want: "mart_1"},
		{name: "config nested raw key", selects: []string{"config.meta.owner:ana"}, mode: IndirectEmpty, want: "mart_1"},
		{name: "config severity ignores case", selects: []string{"config.severity:error"}, mode: IndirectEmpty,
			want: "not_null_stg_a_id relationships_int_stg_b unique_mart_1_id not_null_raw_users_id assert_mart_2_positive"},
		{name: "config bool", selects: []string{"config.enabled:TRUE,resource_type:seed"}, mode: IndirectEmpty, want: "raw_seed"},
		{name: "resource_type", selects: []string{"resource_type:source"}, mode: IndirectEmpty, want: "app.raw_users"},
		{name: "source", selects: []string{"source:app"}, mode: IndirectEmpty, want: "app.raw_users"},
		{name: "source.table", selects: []string{"source:app.raw_users"}, mode: IndirectEmpty, want: "app.raw_users"},
		{name: "project.source.table", selects: []string{"source:p.app.raw_*"}, mode: IndirectEmpty, want: "app.raw_users"},
		{name: "source+", selects: []string{"source:app+"}, mode: IndirectEmpty,
			want: "app.raw_users stg_b int mart_1 mart_2 not_null_raw_users_id relationships_int_stg_b unique_mart_1_id assert_mart_2_positive"},
		{name: "package", selects: []string{"package:p"}, mode: IndirectEmpty, want: allBut(t, "")},
		{name: "test_type generic", selects: []string{"test_type:generic"},
			want: "not_null_stg_a_id relationships_int_stg_b unique_mart_1_id not_null_raw_users_id"},
		{name: "test_type singular", selects: []string{"test_type:singular"}, want: "assert_mart_2_positive"},
		{name: "test_name", selects: []string{"test_name:not_null"}, want: "not_null_stg_a_id not_null_raw_users_id"},
	})
}

// Indirect selection: tests join through the nodes they test, per dbt's modes.
func TestIndirectSelection(t *testing.T) {
	runSelectCases(t, []selectCase{
		{name: "eager is the default", selects: []string{"stg_a"}, want: "stg_a not_null_stg_a_id"},
		{name: "eager: any parent selected", selects: []string{"stg_b"}, want: "stg_b relationships_int_stg_b"},
		{name: "eager on a source", selects: []string{"source:app"}, want: "app.raw_users not_null_raw_users_id"},
		{name: "cautious: not all parents", selects: []string{"int"}, mode: IndirectCautious, want: "int"},
		{name: "cautious: all parents across a union", selects: []string{"int stg_b"}, mode: IndirectCautious,
			want: "int stg_b relationships_int_stg_b"},
		{name: "buildable: the other parent is upstream", selects: []string{"int"}, mode: IndirectBuildable,
			want: "int relationships_int_stg_b"},
		{name: "buildable: not for a downstream-only parent", selects: []string{"stg_b"}, mode: IndirectBuildable,
			want: "stg_b"},
		{name: "empty", selects: []string{"stg_a"}, mode: IndirectEmpty, want: "stg_a"},
		{
			// The exclude pulls in stg_a's test as well, so it is excluded too.
			name: "exclude removes the excluded node's tests", selects: []string{"staging"}, excludes: []string{"stg_a"},
			want: "stg_b relationships_int_stg_b not_null_raw_users_id",
		},
		{name: "tests selected directly", selects: []string{"test_name:unique"}, mode: IndirectEmpty, want: "unique_mart_1_id"},
		{name: "intersection with tests", selects: []string{"+mart_1,resource_type:test"},
			want: "not_null_stg_a_id relationships_int_stg_b unique_mart_1_id not_null_raw_users_id"},
	})
}

func TestWarnings(t *testing.T) {
	d, m := fixture(t)
	tests := []struct {
		selects, excludes []string
		want              []string
	}{
		{[]string{"usres"}, nil, []string{"nothing matched 'usres'; did you mean users?"}},
		{[]string{"+user_actvity+"}, nil, []string{"nothing matched '+user_actvity+'; did you mean user_activity?"}},
		{[]string{"mart"}, nil, []string{"nothing matched 'mart'; did you mean mart_1, mart_2, unique_mart_1_id?"}},
		{[]string{"tag:nightyl"}, nil, []string{"nothing matched 'tag:nightyl'; did you mean nightly?"}},
		{[]string{"source:ap"}, nil, []string{"nothing matched 'source:ap'; did you mean app?"}},
		{[]string{"zzzzzzzz"}, nil, []string{"nothing matched 'zzzzzzzz'"}},
		{[]string{"stg_a"}, []string{"stg_c"}, []string{"nothing matched 'stg_c'; did you mean stg_a, stg_b?"}},
		{[]string{"nope nope,stg_a"}, nil, []string{"nothing matched 'nope'"}}, // once
		{[]string{"stg_a,tag:hourly"}, nil, nil},                               // each criterion matched something
		// fqn never matches sources, as in dbt: they are selected with source:.
		{[]string{"raw_users"}, nil, []string{"nothing matched 'raw_users'; did you mean raw_seed, not_null_raw_users_id?"}},
		// A path selects files and whole directories, never a name prefix.
		{[]string{"path:models/mart"}, nil, []string{
			"nothing matched 'path:models/mart'; did you mean models/marts, models/marts/finance, models/marts/mart_2.sql?"}},
	}
	for _, tt := range tests {
		sel, err := Parse(tt.selects, tt.excludes)
		if err != nil {
			t.Fatal(err)
		}
		_, warnings := sel.Select(d, m, Options{})
		var got []string
		for _, w := range warnings {
			got = append(got, w.String())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%v: warnings\n got %q\nwant %q", tt.selects, got, tt.want)
		}
	}
}
