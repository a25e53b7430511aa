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
	name     string
	what     string // plural noun for the summary line
	types    []manifest.ResourceType
	handlers func(s *session.Session) map[manifest.ResourceType]runner.Handler
	// reshape, when set, adds edges to the plan (build runs tests between a node and its children).
	reshape func(s *session.Session) func(runner.Plan) runner.Plan
	// quiet prints only nodes that did not succeed, and the summary.
	quiet bool
	// report, when set, receives the results after the run (test and build write --junit).
	report func(s *session.Session, results []runner.Result, elapsed time.Duration) error
}

func newRunCmd(s *Streams, g *globalOptions) *cobra.Command {
	k := runKind{name: "run", what: "models", types: []manifest.ResourceType{manifest.Model}}
	return &cobra.Command{
		Use:   "run",
		Short: "Build the selected models in dependency order",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return executeRun(cmd.Context(), s, g, k) },
	}
}

func newSeedCmd(s *Streams, g *globalOptions) *cobra.Command {
	k := runKind{name: "seed", what: "seeds", types: []manifest.ResourceType{manifest.Seed}}
	return &cobra.Command{
		Use:   "seed",
		Short: "Load the selected seed CSV files into tables",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return executeRun(cmd.Context(), s, g, k) },
	}
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
	if err := sess.WriteManifest(); err != nil {
		return failErr(err)
	}
	ids, warns, err := sess.Select(g.selectArgs(), g.excludeArgs(), k.types, "")
	if err != nil {
		return usageErr(err)
	}
	warnSelection(s, warns)
	p := newPrinter(s.Out, g, sess.Project.Manifest.Nodes)
	defer p.stop()
	p.quiet = k.quiet
	t0 := time.Now()
	opts := session.RunOptions{FullRefresh: g.fullRefresh, FailFast: g.failFast, Threads: g.threads, Events: p.events()}
	if k.handlers != nil {
		opts.Handlers = k.handlers(sess)
	}
	if k.reshape != nil {
		opts.Reshape = k.reshape(sess)
	}
	results, err := sess.Run(ctx, ids, opts)
	if err != nil {
		return usageErr(err)
	}
	elapsed := time.Since(t0)
	if werr := sess.Target.WriteRunResults(k.name, map[string]any{"select": g.selects, "exclude": g.excludes, "full_refresh": g.fullRefresh},
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
