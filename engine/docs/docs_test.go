package docs

import (
	"context"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// testManifest is a small project: a table built from a seed and a source, a view on top, an
// ephemeral model (no relation), a model not built yet, and tests on the table.
func testManifest() *manifest.Manifest {
	m := manifest.New("shop")
	add := func(n *manifest.Node) { m.Nodes[n.UniqueID] = n }
	add(&manifest.Node{UniqueID: "seed.shop.countries", Name: "countries", ResourceType: manifest.Seed,
		Path: "seeds/countries.csv", Database: "shop", Alias: "countries", Config: manifest.Config{Materialized: "seed"}})
	add(&manifest.Node{UniqueID: "source.shop.app.orders", Name: "orders", ResourceType: manifest.Source,
		Path: "models/sources.yml", Database: "app", Alias: "orders_v2", Description: "Orders as the app writes them.",
		Source: &manifest.SourceInfo{SourceName: "app", Identifier: "orders_v2"}})
	add(&manifest.Node{UniqueID: "model.shop.orders", Name: "orders", ResourceType: manifest.Model,
		Path: "models/core/orders.sql", Database: "shop", Alias: "orders",
		Description: "One row per order, with the <b>country</b> name.",
		RawCode:     `select * from {{ source "app" "orders" }} join {{ ref "countries" }} using (country_id)`,
		Config:      manifest.Config{Materialized: "table", OrderBy: "order_id", PartitionBy: "toYYYYMM(ordered_at)"},
		Columns: []manifest.Column{{Name: "order_id", Description: "The order's key.", Tests: []manifest.TestSpec{{Name: "unique"}}},
			{Name: "country", Description: "Country name."}, {Name: "gone", Description: "Documented, not built."}},
		DependsOn: []string{"seed.shop.countries", "source.shop.app.orders"}})
	add(&manifest.Node{UniqueID: "model.shop.daily", Name: "daily", ResourceType: manifest.Model,
		Path: "models/marts/daily.sql", Database: "shop", Alias: "daily", Config: manifest.Config{Materialized: "view"},
		DependsOn: []string{"model.shop.orders"}})
	add(&manifest.Node{UniqueID: "model.shop.helper", Name: "helper", ResourceType: manifest.Model,
		Path: "models/helper.sql", Database: "shop", Alias: "helper", Config: manifest.Config{Materialized: "ephemeral"}})
	add(&manifest.Node{UniqueID: "model.shop.later", Name: "later", ResourceType: manifest.Model,
		Path: "models/later.sql", Database: "shop", Alias: "later", Config: manifest.Config{Materialized: "table"}})
	add(&manifest.Node{UniqueID: "test.shop.unique_orders_order_id", Name: "unique_orders_order_id", ResourceType: manifest.Test,
		Path: "models/core/core.yml", DependsOn: []string{"model.shop.orders"},
		Test: &manifest.TestInfo{Name: "unique", ColumnName: "order_id", AttachedTo: "model.shop.orders"}})
	return m
}

var testMeta = CatalogMetadata{DwmVersion: "0.1.0", GeneratedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	InvocationID: "inv1", Target: "dev"}

func cols(names ...string) []warehouse.Column {
	out := make([]warehouse.Column, len(names))
	for i, n := range names {
		out[i] = warehouse.Column{Name: n, Type: "String"}
	}
	return out
}

// fakeTables and fakeColumns are what system.tables and system.columns return for testManifest's
// warehouse, values as text the way warehouse.Result carries them (NULL as nil). `other` is a
// table no node names.
func fakeTables() *warehouse.Result {
	return &warehouse.Result{Columns: cols("database", "name", "engine", "total_rows", "total_bytes", "comment"), Rows: [][]any{
		{"shop", "orders", "MergeTree", "3", "1024", "Orders, joined."},
		{"shop", "daily", "View", nil, nil, ""},
		{"shop", "countries", "MergeTree", "2", "300", ""},
		{"app", "orders_v2", "ReplacingMergeTree", "3", "512", ""},
		{"shop", "other", "MergeTree", "9", "9", ""},
	}}
}

func fakeColumns() *warehouse.Result {
	return &warehouse.Result{Columns: cols("database", "table", "name", "type", "position", "comment"), Rows: [][]any{
		{"shop", "orders", "order_id", "UInt64", "1", ""},
		{"shop", "orders", "country", "LowCardinality(String)", "2", "ISO name"},
		{"shop", "orders", "ordered_at", "DateTime", "3", ""},
		{"shop", "daily", "day", "Date", "1", ""},
		{"shop", "daily", "orders", "UInt64", "2", ""},
		{"shop", "countries", "country_id", "UInt8", "1", ""},
		{"shop", "countries", "name", "String", "2", ""},
		{"app", "orders_v2", "order_id", "UInt64", "1", ""},
		{"shop", "other", "x", "UInt8", "1", ""},
	}}
}

// fakeWarehouse answers the two catalog queries and records what it was asked.
type fakeWarehouse struct{ queries []string }

var _ warehouse.Warehouse = (*fakeWarehouse)(nil)

func (f *fakeWarehouse) Exec(context.Context, string) (warehouse.Stats, error) {
	return warehouse.Stats{}, nil
}

func (f *fakeWarehouse) Query(_ context.Context, sql string) (*warehouse.Result, error) {
	f.queries = append(f.queries, sql)
	if len(f.queries) == 1 {
		return fakeTables(), nil
	}
	return fakeColumns(), nil
}

func (f *fakeWarehouse) Capabilities() warehouse.Capabilities {
	return warehouse.Capabilities{Kind: "fake"}
}

func (f *fakeWarehouse) Version(context.Context) (string, error) { return "26.1", nil }

func (f *fakeWarehouse) Close() error { return nil }
