// Package materialize turns a compiled model into the SQL statements that build its relation.
//
// Every materialization is a pure function: a node, its compiled SELECT and the state of the
// target relation (read once with Inspect) go in, an ordered list of Steps comes out, and golden
// tests pin the SQL. Only Inspect and Execute talk to a warehouse. A runner calls them in order:
//
//	state, err := materialize.Inspect(ctx, wh, node.Database, node.Alias)
//	steps, err := registry.Plan(materialize.Input{Node: node, SQL: sql, State: state, ...})
//	stats, err := materialize.Execute(ctx, wh, steps, logSQL)
//
// Tables are always built under a temporary name in the target's database and swapped in at the
// end, so readers never see a half-built table and a crash at any point is repaired by running
// the model again: every plan that creates temporary tables first drops the ones an earlier,
// interrupted run left behind.
package materialize
