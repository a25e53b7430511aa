package selector

import (
	"slices"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/dag"
	"github.com/dwmhq/dwm/engine/manifest"
)

// fixture is the project the tests select from:
//
//	raw_seed ──> stg_a ──┐
//	    └─────> stg_b ──┴─> int ──> mart_1, mart_2
//	app.raw_users ──┘
//	users ──> user_activity              (unrelated)
//
// with tests not_null_stg_a_id (stg_a), relationships_int_stg_b (int and stg_b),
// unique_mart_1_id (mart_1), not_null_raw_users_id (the source) and the singular
// assert_mart_2_positive (mart_2).
func fixture(t *testing.T) (*dag.DAG, *manifest.Manifest) {
	t.Helper()
	m := manifest.New("p")
	add := func(n *manifest.Node) {
		if n.UniqueID == "" {
			n.UniqueID = string(n.ResourceType) + ".p." + n.Name
		}
		if n.Config.Raw == nil {
			n.Config.Raw = map[string]any{}
		}
		n.Config.Enabled = true
		m.Nodes[n.UniqueID] = n
	}
	model := func(name, file, materialized string, tags []string, deps ...string) *manifest.Node {
		folders := strings.Split(strings.TrimPrefix(file, "models/"), "/")
		fqn := append([]string{"p"}, folders[:len(folders)-1]...)
		return &manifest.Node{
			Name: name, ResourceType: manifest.Model, Path: file, FQN: append(fqn, name),
			Config:    manifest.Config{Materialized: materialized, Tags: tags},
			DependsOn: deps,
		}
	}
	test := func(name, generic, file string, fqn []string, deps ...string) *manifest.Node {
		n := &manifest.Node{
			Name: name, ResourceType: manifest.Test, Path: file, FQN: fqn, DependsOn: deps,
			Config: manifest.Config{Severity: "ERROR"},
		}
		if generic != "" {
			n.Test = &manifest.TestInfo{Name: generic, AttachedTo: deps[0]}
		}
		return n
	}

	add(&manifest.Node{
		Name: "raw_seed", ResourceType: manifest.Seed, Path: "seeds/raw_seed.csv",
		FQN: []string{"p", "raw_seed"}, Config: manifest.Config{Materialized: "seed"},
	})
	add(&manifest.Node{
		UniqueID: "source.p.app.raw_users", Name: "raw_users", ResourceType: manifest.Source,
		Path: "models/staging/sources.yml", FQN: []string{"p", "staging", "app", "raw_users"},
		Source: &manifest.SourceInfo{SourceName: "app", Identifier: "users"},
	})
	add(model("stg_a", "models/staging/stg_a.sql", "view", []string{"nightly"}, "seed.p.raw_seed"))
	add(model("stg_b", "models/staging/stg_b.sql", "view", nil, "seed.p.raw_seed", "source.p.app.raw_users"))
	add(model("int", "models/intermediate/int.sql", "table", []string{"nightly"}, "model.p.stg_a", "model.p.stg_b"))
	mart1 := model("mart_1", "models/marts/finance/mart_1.sql", "table", []string{"nightly", "finance"}, "model.p.int")
	mart1.Config.Raw = map[string]any{"schema": "analytics", "meta": map[string]any{"owner": "ana"}}
	add(mart1)
	add(model("mart_2", "models/marts/mart_2.sql", "incremental", []string{"hourly"}, "model.p.int"))
	add(model("users", "models/users.sql", "view", nil))
	add(model("user_activity", "models/user_activity.sql", "view", nil, "model.p.users"))

	add(test("not_null_stg_a_id", "not_null", "models/staging/schema.yml",
		[]string{"p", "staging", "not_null_stg_a_id"}, "model.p.stg_a"))
	add(test("relationships_int_stg_b", "relationships", "models/intermediate/schema.yml",
		[]string{"p", "intermediate", "relationships_int_stg_b"}, "model.p.int", "model.p.stg_b"))
	add(test("unique_mart_1_id", "unique", "models/marts/schema.yml",
		[]string{"p", "marts", "unique_mart_1_id"}, "model.p.mart_1"))
	add(test("not_null_raw_users_id", "not_null", "models/staging/sources.yml",
		[]string{"p", "staging", "not_null_raw_users_id"}, "source.p.app.raw_users"))
	add(test("assert_mart_2_positive", "", "tests/assert_mart_2_positive.sql",
		[]string{"p", "assert_mart_2_positive"}, "model.p.mart_2"))

	d, err := dag.Build(m)
	if err != nil {
		t.Fatal(err)
	}
	return d, m
}

// short turns unique IDs into the names the test tables use ("app.raw_users" for the source).
func short(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		parts := strings.SplitN(id, ".", 3)
		out[i] = parts[2]
	}
	slices.Sort(out)
	return out
}

// names splits a space-separated list of expected short names, sorted.
func names(s string) []string {
	out := strings.Fields(s)
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}
