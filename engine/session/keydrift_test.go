package session

import (
	"context"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/runner"
)

// TestKeyDriftWarns: a model whose kept table was created with other keys than its config now
// gives builds with a warning naming both, on real chDB; a respelling of the same key warns of
// nothing; a --full-refresh rebuilds the table with the config's keys and the warning goes.
func TestKeyDriftWarns(t *testing.T) {
	inc := func(cfg string) string {
		return "{{ config \"materialized\" \"incremental\" " + cfg + " }}\nselect toInt64(number) as a, toInt64(number * 2) as b from numbers(3)\n"
	}
	s := openSession(t, map[string]string{
		"project.yml":          "name: shop\n",
		"models/moved.sql":     inc(`"order_by" "(a, b)"`),
		"models/respelled.sql": inc("\"order_by\" \"(`a`)\" \"partition_by\" \"b % 2\""),
		"models/replacing.sql": inc(`"engine" "ReplacingMergeTree" "order_by" "a"`),
		"models/same.sql":      inc(`"order_by" "(a, b)"`),
	}, nil)
	// The tables as an earlier config made them.
	for _, ddl := range []string{
		"CREATE DATABASE IF NOT EXISTS shop",
		"CREATE TABLE shop.moved (a Int64, b Int64) ENGINE = MergeTree ORDER BY b",
		"CREATE TABLE shop.respelled (a Int64, b Int64) ENGINE = MergeTree PARTITION BY modulo(b, 2) ORDER BY a",
		"CREATE TABLE shop.replacing (a Int64, b Int64) ENGINE = MergeTree ORDER BY a",
	} {
		query(t, s, ddl)
	}
	got := run(t, s)
	want := map[string]string{
		"moved":     "order_by (a, b) is not the existing table's ORDER BY (b): the table keeps its sort order until --full-refresh rebuilds it",
		"respelled": "",
		"replacing": "engine ReplacingMergeTree is not the existing table's ENGINE (MergeTree): the table keeps its engine until --full-refresh rebuilds it",
		"same":      "", // created by this run
	}
	for name, w := range want {
		r := got[name]
		if r.Status != runner.Success {
			t.Fatalf("%s: %s %v", name, r.Status, r.Err)
		}
		if g := strings.Join(r.Warnings, "\n"); g != w {
			t.Errorf("%s: warnings %q, want %q", name, g, w)
		}
	}
	ids, _, err := s.Select([]string{"moved"}, nil, []manifest.ResourceType{manifest.Model}, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Run(context.Background(), ids, RunOptions{FullRefresh: true})
	if err != nil || len(res) != 1 || res[0].Status != runner.Success || len(res[0].Warnings) != 0 {
		t.Fatalf("full refresh: %v %+v", err, res)
	}
	if k := query(t, s, "SELECT sorting_key FROM system.tables WHERE database = 'shop' AND name = 'moved'"); k != "a, b" {
		t.Errorf("sorting key after --full-refresh = %q", k)
	}
	if r := run(t, s, "moved")["moved"]; len(r.Warnings) != 0 {
		t.Errorf("after --full-refresh: %v", r.Warnings)
	}
}
