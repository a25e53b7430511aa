package seed

import (
	"flag"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/internal/golden"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const countriesCSV = "code;name;joined\nFR;France;1958-01-01\nUK;;1973-01-01\n"

func seedNode(db string) *manifest.Node {
	return &manifest.Node{UniqueID: "seed.shop.countries", Name: "countries", ResourceType: manifest.Seed,
		Path: "seeds/countries.csv", Database: db, Alias: "countries",
		Config: manifest.Config{Enabled: true, Delimiter: ";", OrderBy: "code"}}
}

func TestPlanGolden(t *testing.T) {
	schema, err := parseString(t, countriesCSV, Options{Delimiter: ';'})
	if err != nil {
		t.Fatal(err)
	}
	schema.File = "seeds/countries.csv"
	cases := []planCase{
		{"seed_local_new", materialize.State{Kind: materialize.Absent}, warehouse.Capabilities{ReadsLocalFiles: true, ExchangeTables: true}},
		{"seed_local_existing", materialize.State{Kind: materialize.Table, Engine: "MergeTree"}, warehouse.Capabilities{ReadsLocalFiles: true, ExchangeTables: true}},
		{"seed_server_existing", materialize.State{Kind: materialize.Table, Engine: "MergeTree"}, warehouse.Capabilities{ExchangeTables: true}},
	}
	cases = append(cases, clusterCases()...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkGolden(t, tc.name, strings.Join(planSQL(t, schema, tc.state, tc.caps), ";\n")+";\n")
		})
	}
}

type planCase struct {
	name  string
	state materialize.State
	caps  warehouse.Capabilities
}

// clusterCases load the seed on a replicated single-shard cluster, a sharded cluster and a
// Replicated database; TestIntegrationClusterSQLParses has ClickHouse parse each statement.
func clusterCases() []planCase {
	replicated := warehouse.Capabilities{Kind: "clickhouse", ExchangeTables: true, Cluster: "main", Replicated: true}
	sharded := replicated
	sharded.Sharded = true
	replicatedDB := replicated
	replicatedDB.ReplicatedDatabase = true
	return []planCase{
		{"seed_server_replicated_new", materialize.State{Kind: materialize.Absent}, replicated},
		{"seed_server_replicated_existing", materialize.State{Kind: materialize.Table, Engine: "ReplicatedMergeTree"}, replicated},
		{"seed_server_sharded_new", materialize.State{Kind: materialize.Absent}, sharded},
		{"seed_server_sharded_existing", materialize.State{Kind: materialize.Table, Engine: "Distributed"}, sharded},
		{"seed_server_replicated_db_existing", materialize.State{Kind: materialize.Table, Engine: "ReplicatedMergeTree"}, replicatedDB},
	}
}

// planSQL plans the countries seed and lists its statements, each preceded by its purpose as a
// comment line; expanding steps show what they expand to for two leftover temporary tables.
func planSQL(t *testing.T, schema *Schema, state materialize.State, caps warehouse.Capabilities) []string {
	t.Helper()
	steps, err := Plan(Input{Node: seedNode("ref"), Schema: schema, AbsPath: "/project/seeds/countries.csv",
		Data: []byte(countriesCSV), State: state, Caps: caps, Suffix: "run1"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range steps {
		out = append(out, "-- "+s.Purpose+"\n"+s.SQL)
		if s.Expand == nil || caps.Cluster == "" {
			continue
		}
		more, err := s.Expand(&warehouse.Result{Rows: [][]any{{"__dwm_tmp_countries_crashed"}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, sql := range more {
			out = append(out, "-- (expanded)\n"+sql)
		}
	}
	return out
}

func TestPlanErrors(t *testing.T) {
	schema := &Schema{File: "s.csv", Columns: []Column{{"a", "Int64"}}}
	local := warehouse.Capabilities{ReadsLocalFiles: true}
	for want, in := range map[string]Input{
		"needs the seed's absolute path": {Node: seedNode("d"), Schema: schema, AbsPath: "seeds/s.csv", Caps: local, Suffix: "x"},
		"no seed data was given":         {Node: seedNode("d"), Schema: schema, Suffix: "x"},
		"only ASCII letters and digits":  {Node: seedNode("d"), Schema: schema, AbsPath: "/s.csv", Caps: local, Suffix: "-"},
		"exists as MaterializedView":     {Node: seedNode("d"), Schema: schema, AbsPath: "/s.csv", Caps: local, Suffix: "x", State: materialize.State{Kind: materialize.Other, Engine: "MaterializedView"}},
	} {
		if _, err := Plan(in); err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "seed seed.shop.countries: ") {
			t.Errorf("got %v, want an error about %q", err, want)
		}
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, *update, name, got)
}
