package session

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dwmhq/dwm/engine/artifacts"
	"github.com/dwmhq/dwm/engine/compile"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// RunOptions control Run.
type RunOptions struct {
	FullRefresh bool
	FailFast    bool
	Threads     int
	// Empty builds models with zero rows: refs and sources read as empty (dbt's --empty).
	Empty  bool
	Events runner.Events
	// Handlers override or add per-resource-type handlers (the test runner adds tests).
	Handlers map[manifest.ResourceType]runner.Handler
	// Reshape, when set, may add edges to the plan before it runs (dwm build makes a model wait
	// for its unit tests and its children wait for its tests).
	Reshape func(runner.Plan) runner.Plan
	// Finish, when set, runs once the plan has run, whatever its outcome, and before Run returns
	// (the test runner writes the passes it kept for the end of the run).
	Finish func(ctx context.Context)
}

// Run builds the given nodes (models and seeds; sources and ephemeral models are not run) in
// dependency order. Tests are run only if a handler for them is given.
func (s *Session) Run(ctx context.Context, ids []string, opts RunOptions) ([]runner.Result, error) {
	if opts.Threads <= 0 {
		opts.Threads = s.opts.Threads
	}
	handlers := map[manifest.ResourceType]runner.Handler{
		manifest.Model: func(ctx context.Context, id string) runner.Result {
			return s.buildModel(ctx, id, opts.FullRefresh, opts.Empty)
		},
		manifest.Seed: func(ctx context.Context, id string) runner.Result { return s.loadSeed(ctx, id) },
		// A snapshot is built like a model; its materialization keeps the history.
		manifest.Snapshot: func(ctx context.Context, id string) runner.Result { return s.buildModel(ctx, id, false, false) },
	}
	for t, h := range opts.Handlers {
		handlers[t] = h
	}
	var run []string
	for _, id := range ids {
		n := s.Node(id)
		if n.ResourceType == manifest.Model && n.Config.Materialized == "ephemeral" {
			continue
		}
		if _, ok := handlers[n.ResourceType]; ok {
			run = append(run, id)
		}
	}
	if len(run) == 0 {
		return nil, nil
	}
	if err := s.ParseSeeds(run); err != nil {
		return nil, err
	}
	if _, err := s.Warehouse(ctx); err != nil {
		return nil, err
	}
	plan, err := s.DAG.Plan(run)
	if err != nil {
		return nil, err
	}
	h := func(ctx context.Context, id string) runner.Result {
		r := handlers[s.Node(id).ResourceType](ctx, id)
		// ClickHouse quotes the failing SQL in its messages; secrets in it must not reach the output.
		if r.Err != nil {
			if msg := s.Compiler.Scrub(r.Err.Error()); msg != r.Err.Error() {
				r.Err = errors.New(msg)
			}
		}
		r.Message = s.Compiler.Scrub(r.Message)
		return r
	}
	rp := runner.Plan{Order: plan.Order, Deps: plan.Upstream}
	if opts.Reshape != nil {
		rp = opts.Reshape(rp)
	}
	stop := s.prefetch(ctx, plan.Order)
	defer stop()
	results := runner.Execute(ctx, rp, h, opts.Events, runner.Options{Threads: opts.Threads, FailFast: opts.FailFast})
	if opts.Finish != nil {
		opts.Finish(ctx)
	}
	return results, nil
}

// prefetch starts, in one background goroutine, the file work of the models in order that
// prefetch (materialize.Prefetcher: hashing new files), one model after the other, so that it
// overlaps the models built before them and takes at most one core. The returned stop cancels
// what is left and waits for it: nothing outlives the run.
func (s *Session) prefetch(ctx context.Context, order []string) (stop func()) {
	var nodes []*manifest.Node
	for _, id := range order {
		if n := s.Node(id); n.ResourceType == manifest.Model && s.Registry.Prefetches(n) {
			nodes = append(nodes, n)
		}
	}
	if len(nodes) == 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	env := s.prepareEnv()
	go func() {
		defer close(done)
		for _, n := range nodes {
			s.Registry.Prefetch(ctx, n, env)
		}
	}()
	return func() { cancel(); <-done }
}

// NodeError is a node that failed in the warehouse: the model, ClickHouse's error, and where the
// SQL that failed was written.
type NodeError struct {
	Node         string
	CompiledPath string
	Err          error
}

func (e *NodeError) Error() string {
	msg := fmt.Sprintf("%s: %v", e.Node, e.Err)
	if e.CompiledPath != "" {
		msg += "\n  compiled SQL: " + e.CompiledPath
	}
	return msg
}

func (e *NodeError) Unwrap() error { return e.Err }

// buildModel compiles one model against the warehouse's current state and materializes it.
func (s *Session) buildModel(ctx context.Context, id string, fullRefresh, empty bool) runner.Result {
	n := s.Node(id)
	wh, err := s.Warehouse(ctx)
	if err != nil {
		return runner.Result{Status: runner.Error, Err: err}
	}
	fail := func(path string, err error) runner.Result {
		return runner.Result{Status: runner.Error, Err: &NodeError{Node: n.Name, CompiledPath: s.rel(path), Err: err}, CompiledPath: s.rel(path)}
	}
	if err := s.ensureDatabase(ctx, wh, n.Database); err != nil {
		return fail("", err)
	}
	timer := &engineTimer{Warehouse: wh}
	wh = timer
	state, err := materialize.Inspect(ctx, wh, n.Database, n.Alias)
	if err != nil {
		return fail("", err)
	}
	if v, ok := n.Config.Raw["full_refresh"].(bool); ok {
		fullRefresh = v // dbt: full_refresh: false protects a model from --full-refresh
	}
	isInc := n.Config.Materialized == "incremental" && state.Kind == materialize.Table && !fullRefresh
	sql, err := s.Compiler.Node(id, compile.Options{IsIncremental: isInc, Empty: empty})
	if err != nil {
		return fail("", err)
	}
	compiled := s.Target.CompiledPath(s.Project.Manifest.Project, n)
	if err := s.WriteArtifact(compiled, []byte(sql)); err != nil {
		return fail("", err)
	}
	warnings, err := s.checkColumns(ctx, wh, n, sql)
	if err != nil {
		return fail(compiled, err)
	}
	if !fullRefresh {
		warnings = append(warnings, s.keyDrift(ctx, wh, n, state)...)
	}
	in := materialize.Input{Node: n, SQL: sql, State: state, FullRefresh: fullRefresh,
		Caps: wh.Capabilities(), Suffix: s.Invocation}
	if in.Erasures, err = s.erasures(n); err != nil {
		return fail(compiled, err)
	}
	if err := s.Registry.Prepare(ctx, wh, &in, s.prepareEnv()); err != nil {
		return fail(compiled, err)
	}
	steps, err := s.Registry.Plan(in)
	if err != nil {
		return fail(compiled, err)
	}
	// Comments come before the post-hooks, so a hook that sets its own comment has the last word.
	comments, err := materialize.CommentSteps(n, in.Caps)
	if err != nil {
		return fail(compiled, err)
	}
	steps = append(steps, comments...)
	if steps, err = s.withHooks(id, steps); err != nil {
		return fail(compiled, err)
	}
	var log artifacts.SQLLog
	stats, err := materialize.Execute(ctx, wh, steps, log.Add)
	var erased string
	if err == nil {
		erased, err = s.eraseAfterBuild(ctx, n.Name, &log)
	}
	if err == nil {
		err = s.applyGrants(ctx, wh, n, &log)
	}
	runPath := s.Target.RunPath(s.Project.Manifest.Project, n)
	if werr := s.WriteArtifact(runPath, []byte(log.String())); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return fail(compiled, err)
	}
	msg := describe(n, state, isInc, stats)
	if report, ok, err := s.Registry.Report(ctx, wh, in); err != nil {
		return fail(compiled, err)
	} else if ok {
		msg = report
	}
	msg += erased
	return runner.Result{Status: runner.Success, RowsAffected: stats.RowsWritten, EngineTime: timer.total().Seconds(),
		CompiledPath: s.rel(compiled), Message: msg, Warnings: warnings}
}

// withHooks wraps a plan in the model's pre_hook and post_hook statements (one statement each;
// dbt's pre-hook spelling is accepted too).
func (s *Session) withHooks(id string, steps []materialize.Step) ([]materialize.Step, error) {
	n := s.Node(id)
	render := func(keys ...string) ([]materialize.Step, error) {
		var out []materialize.Step
		for _, k := range keys {
			for _, h := range hookList(n.Config.Raw[k]) {
				sql, err := s.Compiler.Hook(id, h)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", k, err)
				}
				out = append(out, materialize.Step{Purpose: strings.ReplaceAll(k, "-", "_"), SQL: sql})
			}
		}
		return out, nil
	}
	pre, err := render("pre_hook", "pre-hook")
	if err != nil {
		return nil, err
	}
	post, err := render("post_hook", "post-hook")
	if err != nil {
		return nil, err
	}
	return append(append(pre, steps...), post...), nil
}

func hookList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

// prepareEnv is what materializations with a Preparer may read: the project directory, its vars
// and the other nodes by name.
func (s *Session) prepareEnv() materialize.PrepareEnv {
	return materialize.PrepareEnv{Dir: s.Dir, Vars: s.Project.Vars, Ref: s.Project.Manifest.ByName, ObjectStore: s.ObjectStore,
		Cache: filepath.Join(string(s.Target), "cache"), Flights: &s.flights}
}

func describe(n *manifest.Node, state materialize.State, isInc bool, st warehouse.Stats) string {
	m := n.Config.Materialized
	switch {
	case isInc:
		return fmt.Sprintf("INSERT %d", st.RowsWritten)
	case m == "view":
		return "CREATE VIEW"
	default:
		return fmt.Sprintf("%s %d", map[bool]string{true: "REPLACE", false: "CREATE"}[state.Kind != materialize.Absent], st.RowsWritten)
	}
}

// rel shows a path relative to the project directory, as users type it.
func (s *Session) rel(p string) string {
	if p == "" {
		return ""
	}
	if r, err := filepath.Rel(s.Dir, p); err == nil {
		return r
	}
	return p
}

// QueryErr extracts ClickHouse's error from a failed result, if any.
func QueryErr(err error) *warehouse.QueryError {
	var qe *warehouse.QueryError
	if errors.As(err, &qe) {
		return qe
	}
	return nil
}
