package dtest

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/project"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// UnitTest runs one unit test: the model's SQL on inline relations built from the given rows,
// compared as a multiset with the expected rows on the columns the expectation names.
func (r *Runner) UnitTest(ctx context.Context, id string) runner.Result {
	n := r.s.Node(id)
	ut := r.s.Project.UnitTestDefs[id]
	compiled := r.compiledPath(n)
	fail := func(err error) runner.Result {
		rel := r.rel(compiled)
		return runner.Result{Status: runner.Error, Err: &session.NodeError{Node: n.Name, CompiledPath: rel, Err: err}, CompiledPath: rel}
	}
	if ut == nil {
		compiled = ""
		return fail(fmt.Errorf("unit test %s has no definition", id))
	}
	wh, err := r.s.Warehouse(ctx)
	if err != nil {
		return runner.Result{Status: runner.Error, Err: err}
	}
	inputs := map[string]string{}
	for _, g := range ut.Given {
		sql, err := r.inputSQL(ctx, wh, g)
		if err != nil {
			compiled = ""
			return fail(fmt.Errorf("%s:%d: input %s: %w", ut.File, g.Line, g.Input, err))
		}
		inputs[g.NodeID] = sql
	}
	sql, err := r.s.Compiler.WithInputs(ut.Model, inputs, ut.Vars)
	if err != nil {
		compiled = ""
		return fail(fmt.Errorf("%s:%d: %w", ut.File, ut.Line, err))
	}
	if err := r.s.WriteArtifact(compiled, []byte(sql+"\n")); err != nil {
		return fail(err)
	}
	actual, err := wh.Query(ctx, "SELECT * FROM (\n"+sql+"\n)")
	if err != nil {
		return fail(err)
	}
	cols, err := expectColumns(ut.Expect, actual)
	if err != nil {
		return fail(fmt.Errorf("%s:%d: expect: %w", ut.File, ut.Line, err))
	}
	want, err := r.expectedRows(ctx, wh, ut.Expect, cols, actual)
	if err != nil {
		return fail(fmt.Errorf("%s:%d: expect: %w", ut.File, ut.Line, err))
	}
	d := DiffRows(cols, want, pick(actual, cols))
	out := runner.Result{Status: runner.Pass, CompiledPath: r.rel(compiled), Failures: int64(d.Count())}
	if !d.Empty() {
		out.Status = runner.Fail
		out.Message = d.String() + "\ncompiled SQL: " + r.rel(compiled)
	}
	return out
}

// inputSQL is the inline relation for one given input, typed like the relation it replaces.
func (r *Runner) inputSQL(ctx context.Context, wh warehouse.Warehouse, g project.UnitTestInput) (string, error) {
	if g.Format == "sql" {
		return g.SQL, nil
	}
	node := r.s.Node(g.NodeID)
	f := Fixture{Columns: g.Columns, Rows: g.Rows, Types: map[string]string{}}
	cols, err := relationColumns(ctx, wh, node)
	switch {
	case err == nil:
		for _, c := range cols {
			f.Types[c.Name] = c.Type
			f.TypedColumns = append(f.TypedColumns, c.Name)
		}
	case errors.Is(err, ErrRelationMissing):
		// Not built yet (unit tests need no warehouse data): YAML data_type is the next best.
		for _, c := range node.Columns {
			if c.DataType != "" {
				f.Types[c.Name] = c.DataType
			}
		}
	default:
		return "", err
	}
	return f.SQL()
}

// expectColumns is the expectation's columns, all of which the model must return; with no
// expected rows, every column the model returns.
func expectColumns(exp project.UnitTestRows, actual *warehouse.Result) ([]string, error) {
	have := map[string]bool{}
	var all []string
	for _, c := range actual.Columns {
		have[c.Name] = true
		all = append(all, c.Name)
	}
	if exp.Format == "sql" || len(exp.Columns) == 0 {
		return all, nil
	}
	for _, c := range exp.Columns {
		if !have[c] {
			return nil, fmt.Errorf("column %q is not returned by the model (columns: %s)", c, strings.Join(all, ", "))
		}
	}
	return exp.Columns, nil
}

// expectedRows runs the expected rows through ClickHouse, cast to the types of the model's
// output, so both sides print the same way (1 vs 1.0, dates, booleans).
func (r *Runner) expectedRows(ctx context.Context, wh warehouse.Warehouse, exp project.UnitTestRows, cols []string, actual *warehouse.Result) ([][]string, error) {
	if exp.Format != "sql" && len(exp.Rows) == 0 {
		return nil, nil
	}
	sql := exp.SQL
	if exp.Format != "sql" {
		types := map[string]string{}
		for _, c := range actual.Columns {
			types[c.Name] = c.Type
		}
		var err error
		if sql, err = (Fixture{Columns: cols, Rows: exp.Rows, Types: types, TypedColumns: cols}).SQL(); err != nil {
			return nil, err
		}
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = manifest.QuoteIdent(c)
	}
	res, err := wh.Query(ctx, "SELECT "+strings.Join(quoted, ", ")+" FROM (\n"+sql+"\n)")
	if err != nil {
		return nil, err
	}
	return pick(res, cols), nil
}

// pick returns res's rows as text, keeping cols in order.
func pick(res *warehouse.Result, cols []string) [][]string {
	idx := map[string]int{}
	for i, c := range res.Columns {
		idx[c.Name] = i
	}
	out := make([][]string, len(res.Rows))
	for i := range res.Rows {
		row := make([]string, len(cols))
		for j, c := range cols {
			row[j] = res.String(i, idx[c])
		}
		out[i] = row
	}
	return out
}
