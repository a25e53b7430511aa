package dtest

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/dwmhq/dwm/engine/dtest/generic"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/pii"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Options control how tests run.
type Options struct {
	// WarnError turns warnings into failures (--warn-error).
	WarnError bool
	// Examples is how many failing rows a failure shows; 0 means 5.
	Examples int
	// Full runs every data test over the whole relation, never batch-scoped (--full).
	Full bool
}

// Runner runs the tests of one session's run (see runCache). It is safe for concurrent use by the runner's workers.
type Runner struct {
	s      *session.Session
	opts   Options
	tested sync.Map // database.dwm_tested -> func() error creating it once
	cache  *runCache
	mu     sync.Mutex
	passes map[string][]string // dwm_tested relation -> the run's passes, as SELECTs of one row (record)
}

// New returns a Runner for s.
func New(s *session.Session, opts Options) *Runner {
	if opts.Examples <= 0 {
		opts.Examples = 5
	}
	return &Runner{s: s, opts: opts, cache: &runCache{}}
}

// Handlers returns the runner handlers for data tests and unit tests. A run using them must
// call Flush when it ends; RunOptions sets both.
func (r *Runner) Handlers() map[manifest.ResourceType]runner.Handler {
	return map[manifest.ResourceType]runner.Handler{
		manifest.Test:     r.DataTest,
		manifest.UnitTest: r.UnitTest,
	}
}

// RunOptions returns o with the Runner's handlers, and Flush as its Finish.
func (r *Runner) RunOptions(o session.RunOptions) session.RunOptions {
	o.Handlers, o.Finish = r.Handlers(), r.Flush
	return o
}

// AuditDatabase is where store_failures keeps failing rows: the test's database config, else the
// target database with dbt's suffix.
func AuditDatabase(n *manifest.Node, targetDB string) string {
	if n.Config.Database != "" {
		return n.Config.Database
	}
	return targetDB + "_dbt_test__audit"
}

// DataTest runs one generic or singular test: it counts the failing rows, grades them against
// severity, warn_if and error_if, and shows example rows when there are any.
func (r *Runner) DataTest(ctx context.Context, id string) runner.Result {
	n := r.s.Node(id)
	wh, err := r.s.Warehouse(ctx)
	if err != nil {
		return runner.Result{Status: runner.Error, Err: err}
	}
	compiled := r.compiledPath(n)
	fail := func(err error) runner.Result {
		rel := r.rel(compiled)
		return runner.Result{Status: runner.Error, Err: &session.NodeError{Node: n.Name, CompiledPath: rel, Err: err}, CompiledPath: rel}
	}
	sql, scopes, err := r.testSQL(ctx, wh, n)
	if err != nil {
		compiled = ""
		return fail(err)
	}
	if n.Config.Limit > 0 {
		sql = fmt.Sprintf("SELECT *\nFROM (\n%s\n)\nLIMIT %d", sql, n.Config.Limit)
	}
	if err := r.s.WriteArtifact(compiled, []byte(sql+"\n")); err != nil {
		return fail(err)
	}
	source := "(\n" + sql + "\n)"
	stored := ""
	if n.Config.StoreFailures {
		db := AuditDatabase(n, r.s.Project.Target.Database)
		stored = manifest.QuoteIdent(db) + "." + manifest.QuoteIdent(n.Name)
		for _, stmt := range []string{
			"CREATE DATABASE IF NOT EXISTS " + manifest.QuoteIdent(db),
			"DROP TABLE IF EXISTS " + stored,
			"CREATE TABLE " + stored + " ENGINE = MergeTree ORDER BY tuple() AS\n" + sql,
		} {
			if _, err := wh.Exec(ctx, stmt); err != nil {
				return fail(fmt.Errorf("store failures in %s: %w", stored, err))
			}
		}
		source = stored
	}
	res, err := wh.Query(ctx, "SELECT count() FROM "+source)
	if err != nil {
		return fail(err)
	}
	failures, err := strconv.ParseInt(res.String(0, 0), 10, 64)
	if err != nil {
		return fail(fmt.Errorf("count failing rows: %w", err))
	}
	status, cond := r.grade(n, failures)
	out := runner.Result{Status: status, Failures: failures, CompiledPath: r.rel(compiled), EngineTime: res.Stats.Elapsed.Seconds()}
	if status == runner.Pass {
		for _, sc := range scopes {
			r.record(sc)
		}
		return out
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "Got %d result%s, configured to %s if %s", failures, plural(failures), map[bool]string{true: "fail", false: "warn"}[status == runner.Fail], cond)
	if failures > 0 {
		ex, err := wh.Query(ctx, fmt.Sprintf("SELECT * FROM %s LIMIT %d", source, r.opts.Examples))
		if err == nil && len(ex.Rows) > 0 {
			fmt.Fprintf(&msg, "\nfirst %d failing row%s:\n%s", len(ex.Rows), plural(int64(len(ex.Rows))), formatRows(ex))
		}
	}
	fmt.Fprintf(&msg, "\ncompiled SQL: %s", r.rel(compiled))
	if stored != "" {
		fmt.Fprintf(&msg, "\nfailing rows stored in %s", stored)
	}
	out.Message = msg.String()
	return out
}

// grade applies dbt's rules: with severity error, error_if decides a failure; otherwise warn_if
// decides a warning. The returned condition is the one that triggered, for the message.
func (r *Runner) grade(n *manifest.Node, failures int64) (runner.Status, string) {
	errIf, err := generic.ParseCondition(n.Config.ErrorIf)
	if err != nil {
		errIf, _ = generic.ParseCondition("")
	}
	warnIf, err := generic.ParseCondition(n.Config.WarnIf)
	if err != nil {
		warnIf, _ = generic.ParseCondition("")
	}
	if n.Config.Severity != "warn" && errIf.Holds(failures) {
		return runner.Fail, errIf.String()
	}
	if warnIf.Holds(failures) {
		if r.opts.WarnError {
			return runner.Fail, warnIf.String() + " (--warn-error)"
		}
		return runner.Warn, warnIf.String()
	}
	return runner.Pass, ""
}

// testSQL is the query returning a test's failing rows and, for a batch-scoped test, the ranges
// of batches it checks (recorded when it passes).
func (r *Runner) testSQL(ctx context.Context, wh warehouse.Warehouse, n *manifest.Node) (string, []*batchScope, error) {
	if n.Test == nil || n.Test.Name == "" {
		return r.singularSQL(ctx, wh, n)
	}
	parent := r.s.Node(n.Test.AttachedTo)
	if parent == nil {
		return "", nil, fmt.Errorf("test %s: tested node %s is not in the project", n.Name, n.Test.AttachedTo)
	}
	cols, err := r.cache.columns(ctx, wh, parent)
	if err != nil {
		return "", nil, err
	}
	def, builtin := generic.Lookup(n.Test.Name)
	if r.s.Project.Macros.Has(n.Test.Name) {
		builtin = false
	}
	check := []string{}
	if n.Test.ColumnName != "" {
		check = append(check, n.Test.ColumnName)
	}
	if builtin {
		check = append(check, def.ColumnArgs(n.Test.Kwargs)...)
	}
	if err := checkColumns(parent, cols, check, n); err != nil {
		return "", nil, err
	}
	model := parent.Relation()
	if n.Config.Where != "" {
		model = fmt.Sprintf("(SELECT * FROM %s WHERE %s)", model, n.Config.Where)
	}
	if !builtin {
		dot := map[string]any{}
		for k, v := range n.Test.Kwargs {
			dot[k] = v
		}
		dot["model"] = model
		dot["column_name"] = n.Test.ColumnName
		if _, err := r.newBatchScope(ctx, wh, n, parent, cols, nil, nil, ""); err != nil {
			return "", nil, err
		}
		sql, err := r.s.Compiler.GenericTest(n, n.Test.Name, dot)
		return sql, nil, err
	}
	in := generic.Input{Model: model, Column: n.Test.ColumnName, Args: n.Test.Kwargs}
	if n.Test.Name == "relationships" {
		to, err := r.relationNode(n.Test.Kwargs["to"])
		if err != nil {
			return "", nil, err
		}
		toCols, err := r.cache.columns(ctx, wh, to)
		if err != nil {
			return "", nil, err
		}
		if err := checkColumns(to, toCols, []string{fmt.Sprint(n.Test.Kwargs["field"])}, n); err != nil {
			return "", nil, err
		}
		in.To = to.Relation()
	}
	var erasure []pii.Target
	if n.Test.Name == "pii_erased" {
		if erasure, err = r.erasureTargets(ctx, parent.Name); err != nil {
			return "", nil, fmt.Errorf("test %s: %w", n.Name, err)
		}
		for _, t := range erasure {
			in.Erasure = append(in.Erasure, t.FailingSQL())
		}
	}
	sql, err := def.Build(in)
	if err != nil {
		return "", nil, fmt.Errorf("test %s: %w", n.Name, err)
	}
	if n.Test.Name == "pii_erased" {
		return r.piiErasedSQL(ctx, wh, n, parent, cols, def, in, erasure, sql)
	}
	sc, err := r.newBatchScope(ctx, wh, n, parent, cols, def, check, sql)
	if err != nil || sc == nil {
		return sql, nil, err
	}
	if sc.from == 0 {
		return sql, []*batchScope{sc}, nil
	}
	in.Model = sc.model(n.Config.Where, def, check)
	if sql, err = def.Build(in); err != nil {
		return "", nil, fmt.Errorf("test %s: %w", n.Name, err)
	}
	return sql, []*batchScope{sc}, nil
}

func (r *Runner) relationNode(v any) (*manifest.Node, error) {
	rel, err := generic.ParseRelationArg(fmt.Sprint(v))
	if err != nil {
		return nil, err
	}
	m := r.s.Project.Manifest
	if rel.Source != "" {
		if n := m.Nodes["source."+m.Project+"."+rel.Source+"."+rel.Name]; n != nil {
			return n, nil
		}
	} else if n := m.ByName(rel.Name); n != nil {
		return n, nil
	}
	return nil, fmt.Errorf("%s is not in the project", rel)
}

// compiledPath: a singular test's compiled SQL mirrors its file; a generic test's goes below the
// YAML file that declares it, as dbt does (target/compiled/<project>/models/schema.yml/<test>.sql).
func (r *Runner) compiledPath(n *manifest.Node) string {
	if n.Test != nil && n.Test.Name != "" || n.ResourceType == manifest.UnitTest {
		return filepath.Join(string(r.s.Target), "compiled", r.s.Project.Manifest.Project, filepath.FromSlash(n.Path), n.Name+".sql")
	}
	return r.s.Target.CompiledPath(r.s.Project.Manifest.Project, n)
}

func (r *Runner) rel(p string) string {
	if p == "" {
		return ""
	}
	if rel, err := filepath.Rel(r.s.Dir, p); err == nil {
		return rel
	}
	return p
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// formatRows renders a small result as an aligned text table.
func formatRows(res *warehouse.Result) string {
	header := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		header[i] = c.Name
	}
	rows := [][]string{header}
	for i := range res.Rows {
		row := make([]string, len(res.Columns))
		for j := range res.Columns {
			row[j] = res.String(i, j)
		}
		rows = append(rows, row)
	}
	widths := make([]int, len(header))
	for _, row := range rows {
		for j, v := range row {
			widths[j] = max(widths[j], len(v))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		parts := make([]string, len(row))
		for j, v := range row {
			parts[j] = fmt.Sprintf("%-*s", widths[j], v)
		}
		b.WriteString("  " + strings.TrimRight(strings.Join(parts, " | "), " ") + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// erasureTargets are the tables holding model's personal data, which pii_erased checks.
func (r *Runner) erasureTargets(ctx context.Context, model string) ([]pii.Target, error) {
	e, err := r.s.Eraser(ctx, nil)
	if err != nil {
		return nil, err
	}
	return e.Targets(ctx, []string{model})
}
