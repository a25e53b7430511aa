package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dwmhq/dwm/engine/objstore"
	"github.com/dwmhq/dwm/generator"
	"github.com/spf13/cobra"
)

// cdcDirVar names the project var that holds where the CDC batches live; the staging and fact
// models read their files from there, so simulate writes there.
const cdcDirVar = "cdc_dir"

func newSimulateCmd(s *Streams, g *globalOptions) *cobra.Command {
	gen := &generateOptions{opts: generator.DefaultOptions()}
	gen.start = gen.opts.Start.Format(time.DateOnly)
	o := &testOptions{}
	var reset, verbose bool
	var timings string
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Run the weekly cycle: generate a week of CDC batches, then build, for each simulated week",
		Long: `simulate plays the warehouse plan's weekly cycle. For each week it lets the generator write that
week's CDC files into the project's ` + "`vars: " + cdcDirVar + "`" + ` folder, then runs dwm build (staging, history, facts,
marts and every test) and prints a summary of the week. It stops at the first week whose build fails.
The same flags always produce the same data, so running it again changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := gen.options()
			if err != nil {
				return err
			}
			return simulateRun(cmd, s, g, o, opts, gen.quiet, reset, verbose, timings)
		},
	}
	gen.register(cmd.Flags(), false)
	o.register(cmd)
	cmd.Flags().BoolVar(&reset, "reset", false, "delete the CDC folder and the embedded warehouse first")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every node of each week's build, not only those that did not succeed")
	cmd.Flags().StringVar(&timings, "timings", "", "write per-week timings of generation, the build and each node as JSON lines to `FILE`")
	return cmd
}

func simulateRun(cmd *cobra.Command, s *Streams, g *globalOptions, o *testOptions, opts generator.Options, quiet, reset, verbose bool, timingsPath string) error {
	ctx := cmd.Context()
	sess, err := g.openSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	rel, ok := sess.Project.Vars[cdcDirVar].(string)
	if !ok || rel == "" {
		return usageErr(fmt.Errorf("simulate writes the CDC batches to the folder in the project var %q; set it in project.yml (vars: {%s: data/cdc})", cdcDirVar, cdcDirVar))
	}
	if objstore.IsObject(rel) {
		return usageErr(fmt.Errorf("simulate writes the CDC batches to local files, and %s is %q: run dwm generate, upload its folders, then dwm build", cdcDirVar, rel))
	}
	root := rel
	if !filepath.IsAbs(root) {
		root = filepath.Join(sess.Dir, rel)
	}
	if reset {
		if err := resetSimulation(sess.Dir, root, sess.Project.Target.Type, sess.Project.Target.Path); err != nil {
			return failErr(err)
		}
	}
	opts.Out = root
	sim, err := generator.NewSimulator(opts)
	if err != nil {
		return usageErr(err)
	}
	if _, err := sim.WriteReference(root); err != nil {
		return failErr(fmt.Errorf("simulate: %w", err))
	}
	tw, err := openTimings(timingsPath)
	if err != nil {
		return usageErr(err)
	}
	defer tw.Close()
	k := buildKind(o, "dwm simulate")
	k.quiet = !verbose
	t0 := time.Now()
	for week := 1; week <= opts.Weeks; week++ {
		w0 := time.Now()
		m, err := sim.Next(ctx, root)
		if err != nil {
			return failErr(fmt.Errorf("simulate week %d: %w", week, err))
		}
		genTime := time.Since(w0)
		var events uint64
		if m.Truth != nil {
			events = uint64(m.Truth.EventsDelivered)
		}
		if err := tw.write(weekTiming{Week: week, Phase: "generate", Seconds: genTime.Seconds(), Rows: events}); err != nil {
			return failErr(err)
		}
		fmt.Fprintf(s.Out, "\n=== week %d of %d (%s .. %s): generated in %.2fs ===\n", week, opts.Weeks, m.WeekStart, m.WeekEnd, genTime.Seconds())
		b0 := time.Now()
		berr := runSelected(ctx, s, g, k, sess)
		fmt.Fprintln(s.Out, weekSummary(week, m, time.Since(b0), berr == nil))
		// A failed build may not have written run_results.json; its own error matters more.
		if err := tw.writeBuild(week, string(sess.Target), sess.Project.Manifest.Nodes); err != nil && berr == nil {
			return failErr(err)
		}
		if berr != nil {
			fmt.Fprintf(s.Err, "simulate: week %d failed; fix the problem and run dwm build (or simulate again)\n", week)
			return berr
		}
	}
	fmt.Fprintf(s.Out, "\nSimulated %d weeks in %.2fs; the warehouse is in %s (try: dwm show --select mart_weekly_league_summary)\n",
		opts.Weeks, time.Since(t0).Seconds(), sess.Project.Target.Database)
	return nil
}

func weekSummary(week int, m generator.Manifest, build time.Duration, ok bool) string {
	status := "all tests passed"
	if !ok {
		status = "FAILED"
	}
	t := m.Truth
	if t == nil {
		return fmt.Sprintf("week %d: built in %.2fs, %s", week, build.Seconds(), status)
	}
	return fmt.Sprintf("week %d summary: %d users, %d signups, %d in %d groups, %d promoted / %d relegated, %d XP, %d events delivered; built in %.2fs, %s",
		week, t.UsersTotal, t.Signups, t.ParticipatingUsers, t.Groups, t.Promoted, t.Relegated, t.TotalXP, t.EventsDelivered, build.Seconds(), status)
}

// resetSimulation removes the CDC folder and, for the embedded target, its data directory, so a
// simulation with other flags starts from nothing (the ledger would otherwise reject changed files).
func resetSimulation(projectDir, cdcRoot, targetType, targetPath string) error {
	if err := os.RemoveAll(cdcRoot); err != nil {
		return err
	}
	if targetType == "chdb" {
		p := targetPath
		if !filepath.IsAbs(p) {
			p = filepath.Join(projectDir, p)
		}
		return os.RemoveAll(p)
	}
	return nil
}
