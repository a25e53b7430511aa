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
	cases := []struct {
		name  string
		state materialize.State
		caps  warehouse.Capabilities
	}{
		{"seed_local_new", materialize.State{Kind: materialize.Absent}, warehouse.Capabilities{ReadsLocalFiles: true, ExchangeTables: true}},
		{"seed_local_existing", materialize.State{Kind: materialize.Table, Engine: "MergeTree"}, warehouse.Capabilities{ReadsLocalFiles: true, ExchangeTables: true}},
		{"seed_server_existing_cluster", materialize.State{Kind: materialize.Table, Engine: "MergeTree"}, warehouse.Capabilities{ExchangeTables: true, Cluster: "main"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			steps, err := Plan(Input{Node: seedNode("ref"), Schema: schema, AbsPath: "/project/seeds/countries.csv",
				Data: []byte(countriesCSV), State: tc.state, Caps: tc.caps, Suffix: "run1"})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, s := range steps {
				b.WriteString("-- " + s.Purpose + "\n" + s.SQL + ";\n")
			}
			checkGolden(t, tc.name, b.String())
		})
	}
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
