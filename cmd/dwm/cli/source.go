package cli

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/dwmhq/dwm/engine/freshness"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/spf13/cobra"
)

func newSourceCmd(s *Streams, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "source", Short: "Commands about sources", Args: cobra.NoArgs}
	cmd.AddCommand(&cobra.Command{
		Use:   "freshness",
		Short: "Check how old the newest row of each selected source is (loaded_at_field against freshness)",
		Long: "freshness compares max(loaded_at_field) of each selected source table that declares freshness with\n" +
			"the warehouse's now(): older than warn_after warns, older than error_after fails (exit 1).\n" +
			"Results go to target/sources.json.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return sourceFreshness(cmd.Context(), s, g) },
	})
	return cmd
}

func sourceFreshness(ctx context.Context, s *Streams, g *globalOptions) error {
	sess, err := g.openSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	if err := sess.WriteManifest(); err != nil {
		return failErr(err)
	}
	ids, warns, err := sess.Select(g.selectArgs(), g.excludeArgs(), []manifest.ResourceType{manifest.Source}, "")
	if err != nil {
		return usageErr(err)
	}
	warnSelection(s, warns)
	var checked []string
	for _, id := range ids {
		if freshness.Checkable(sess.Node(id)) {
			checked = append(checked, id)
		}
	}
	var mu sync.Mutex
	var found []freshness.Result
	check := func(ctx context.Context, id string) runner.Result {
		wh, err := sess.Warehouse(ctx)
		if err != nil {
			return runner.Result{Status: runner.Error, Err: err, Message: err.Error()}
		}
		r := freshness.Check(ctx, wh, sess.Node(id))
		mu.Lock()
		found = append(found, r)
		mu.Unlock()
		out := runner.Result{Status: runner.Pass, Message: freshness.Describe(r)}
		switch r.Status {
		case freshness.Warn:
			out.Status = runner.Warn
		case freshness.Error, freshness.RuntimeError:
			out.Status, out.Err = runner.Error, errors.New(out.Message)
		}
		return out
	}
	p := newPrinter(s.Out, g, sess.Project.Manifest.Nodes)
	t0 := time.Now()
	results, err := sess.Run(ctx, checked, session.RunOptions{Threads: g.threads, Events: p,
		Handlers: map[manifest.ResourceType]runner.Handler{manifest.Source: check}})
	if err != nil {
		return usageErr(err)
	}
	elapsed := time.Since(t0)
	sort.Slice(found, func(i, j int) bool { return found[i].UniqueID < found[j].UniqueID })
	if found == nil {
		found = []freshness.Result{}
	}
	if err := sess.Target.WriteSources(session.Version, sess.Invocation, sess.Project.TargetName, elapsed, found); err != nil {
		return failErr(err)
	}
	if len(results) == 0 {
		p.line("Nothing to do: no selected source declares freshness and loaded_at_field", "")
		return nil
	}
	if p.summary(results, "source freshness checks", elapsed) {
		return failErr(silent)
	}
	return nil
}
