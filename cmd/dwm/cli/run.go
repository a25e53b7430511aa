package cli

import (
	"context"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/spf13/cobra"
)

// runKind describes one of the commands that execute nodes: run, seed (and later test, build).
type runKind struct {
	name  string
	what  string // plural noun for the summary line
	types []manifest.ResourceType
	// tests, when set, runs tests: it sets the handlers of the run options it is given.
	tests func(s *session.Session, o session.RunOptions) session.RunOptions
	// reshape, when set, adds edges to the plan (build runs tests between a node and its children).
	reshape func(s *session.Session) func(runner.Plan) runner.Plan
	// quiet prints only nodes that did not succeed, and the summary.
	quiet bool
	// report, when set, receives the results after the run (test and build write --junit).
	report func(s *session.Session, results []runner.Result, elapsed time.Duration) error
	// retry, when set, replaces the selection: dwm retry runs exactly these nodes.
	retry []string
	// args are the command's own flags, recorded in run_results.json for dwm retry.
	args map[string]any
}

func newRunCmd(s *Streams, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Build the selected models in dependency order",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return executeRun(cmd.Context(), s, g, runCmdKind()) },
	}
	g.registerEmpty(cmd)
	return cmd
}

func runCmdKind() runKind {
	return runKind{name: "run", what: "models", types: []manifest.ResourceType{manifest.Model}}
}

func newSnapshotCmd(s *Streams, g *globalOptions) *cobra.Command {
	k := runKind{name: "snapshot", what: "snapshots", types: []manifest.ResourceType{manifest.Snapshot}}
	return &cobra.Command{
		Use:   "snapshot",
		Short: "Record the changes of the selected snapshots (snapshots/*.sql) as new versions",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return executeRun(cmd.Context(), s, g, k) },
	}
}

func newSeedCmd(s *Streams, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "seed",
		Short: "Load the selected seed CSV files into tables",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return executeRun(cmd.Context(), s, g, seedCmdKind()) },
	}
}

func seedCmdKind() runKind {
	return runKind{name: "seed", what: "seeds", types: []manifest.ResourceType{manifest.Seed}}
}

// executeRun selects, runs and reports; exit 1 when a node failed.
func executeRun(ctx context.Context, s *Streams, g *globalOptions, k runKind) error {
	sess, err := g.openSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	return runSelected(ctx, s, g, k, sess)
}

// runSelected runs k's nodes on an open session; dwm simulate calls it once per simulated week.
func runSelected(ctx context.Context, s *Streams, g *globalOptions, k runKind, sess *session.Session) error {
	ids := k.retry
	if ids == nil {
		var warns []string
		var err error
		if ids, warns, err = sess.Select(g.selectArgs(), g.excludeArgs(), k.types, ""); err != nil {
			return usageErr(err)
		}
		warnSelection(s, warns)
	}
	if g.deferRefs {
		if _, err := sess.Defer(ctx, ids, g.favorState); err != nil {
			return usageErr(err)
		}
	}
	if len(ids) > 0 {
		// Take the warehouse (and its lock) before writing artifacts: a build refused because
		// another process holds the data directory must leave that process's manifest alone.
		if _, err := sess.Warehouse(ctx); err != nil {
			return usageErr(err)
		}
	}
	if err := sess.WriteManifest(); err != nil {
		return failErr(err)
	}
	p := newPrinter(s.Out, g, sess.Project.Manifest.Nodes)
	defer p.stop()
	p.quiet = k.quiet
	t0 := time.Now()
	opts := session.RunOptions{FullRefresh: g.fullRefresh, FailFast: g.failFast, Threads: g.threads, Events: p.events(), Empty: g.empty}
	if k.tests != nil {
		opts = k.tests(sess, opts)
	}
	if k.reshape != nil {
		opts.Reshape = k.reshape(sess)
	}
	results, err := sess.Run(ctx, ids, opts)
	if err != nil {
		return usageErr(err)
	}
	elapsed := time.Since(t0)
	if werr := sess.Target.WriteRunResults(k.name, g.recordArgs(k.args),
		session.Version, sess.Invocation, sess.Project.TargetName, elapsed, results); werr != nil {
		return failErr(werr)
	}
	if k.report != nil {
		if err := k.report(sess, results, elapsed); err != nil {
			return failErr(err)
		}
	}
	if len(results) == 0 {
		p.line("Nothing to do: no "+k.what+" selected", "")
		return nil
	}
	if p.summary(results, k.what, elapsed) {
		return failErr(silent)
	}
	if ctx.Err() != nil {
		return failErr(ctx.Err())
	}
	return nil
}

// silent is an error whose details were already printed.
var silent = silentError{}

type silentError struct{}

func (silentError) Error() string { return "" }
