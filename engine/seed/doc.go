// Package seed loads CSV files into tables.
//
// Parse reads a seed once, streaming: it validates every row (so a bad row fails the seed before
// anything is written) and infers each column's ClickHouse type. Plan, a pure function pinned by
// golden tests, turns the result into statements that load a temporary table and swap it into
// the seed's relation with the same helpers as the table materialization. The runner calls:
//
//	opts, err := seed.OptionsFrom(node.Config)
//	schema, err := seed.Parse(projectFS, node.Path, opts)
//	state, err := materialize.Inspect(ctx, wh, node.Database, node.Alias)
//	steps, err := seed.Plan(seed.Input{Node: node, Schema: schema, AbsPath: abs, Data: data, ...})
//	stats, err := materialize.Execute(ctx, wh, steps, logSQL)
package seed
