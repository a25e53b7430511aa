package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/dwmhq/dwm/generator"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// generateOptions holds the flags of `dwm generate` before they become generator.Options.
type generateOptions struct {
	opts  generator.Options
	start string
	quiet bool
	sink  sinkOptions
}

func newGenerateCmd(s *Streams, global *globalOptions) *cobra.Command {
	g := &generateOptions{opts: generator.DefaultOptions()}
	g.start = g.opts.Start.Format(time.DateOnly)
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Simulate the leagues backend and write weekly CDC CSVs",
		Long: `Simulate the leagues backend (PostgreSQL behind CDC, plus the app's clickstream) and write what
the warehouse would receive: OUT/w000 holds the reference data, OUT/w001.. one folder per week, each
with a manifest.json of checksums, injected faults and ground truth. The same flags always give the
same bytes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return generateRun(cmd, s, global, g)
		},
	}
	g.register(cmd.Flags(), true)
	f := cmd.Flags()
	f.IntVar(&g.opts.Week, "week", 0, "write only this week (and w000), simulating the earlier ones in memory")
	g.sink.register(f)
	return cmd
}

// generateRun turns flags into options, runs the generator and reports where the data went.
func generateRun(cmd *cobra.Command, s *Streams, global *globalOptions, g *generateOptions) error {
	if _, err := g.options(); err != nil {
		return err
	}
	if err := g.sink.validate(); err != nil {
		return err
	}
	progress := s.Err
	if g.quiet {
		progress = nil
	}
	sum, err := generator.Generate(cmd.Context(), g.opts, progress)
	if err != nil {
		if errors.Is(err, generator.ErrInvalidOptions) {
			return usageErr(err)
		}
		return failErr(fmt.Errorf("generate: %w", err))
	}
	fmt.Fprintf(s.Out, "wrote %s: reference data and %d week(s), %d events\n", g.opts.Out, len(sum.Weeks), sum.Events())
	if g.sink.target != "" {
		return writeSink(cmd.Context(), s, global, &g.sink, g.opts, sum)
	}
	return nil
}

// register adds the simulation flags shared by generate and simulate.
func (g *generateOptions) register(f *pflag.FlagSet, withOut bool) {
	o := &g.opts
	f.IntVar(&o.Weeks, "weeks", o.Weeks, "number of weeks to simulate")
	f.Uint64Var(&o.Seed, "seed", o.Seed, "random seed")
	f.IntVar(&o.InitialUsers, "initial-users", o.InitialUsers, "accounts that exist before week 1")
	f.IntVar(&o.WeeklySignups, "weekly-signups", o.WeeklySignups, "signups in week 1 (later weeks grow 3% a week)")
	f.StringVar(&g.start, "start", g.start, "Monday that starts week 1 (YYYY-MM-DD)")
	if withOut {
		f.StringVarP(&o.Out, "out", "o", o.Out, "output folder")
	}
	f.Float64Var(&o.DupRate, "dup-rate", o.DupRate, "share of events delivered twice (0 disables)")
	f.Float64Var(&o.MalformedRate, "malformed-rate", o.MalformedRate, "rate of injected events with broken JSON payloads")
	f.Float64Var(&o.UnknownTypeRate, "unknown-type-rate", o.UnknownTypeRate, "rate of injected events with an unknown event_type_id")
	f.Float64Var(&o.LateRate, "late-rate", o.LateRate, "share of non-lesson events delivered in next week's file")
	f.IntVar(&o.Workers, "workers", 0, "clickstream goroutines (0 = all cores); never changes the output")
	f.BoolVarP(&g.quiet, "quiet", "q", false, "print no progress")
}

// options turns the flags into validated generator options.
func (g *generateOptions) options() (generator.Options, error) {
	start, err := time.Parse(time.DateOnly, g.start)
	if err != nil {
		return g.opts, usageErr(fmt.Errorf("--start %q is not a date (YYYY-MM-DD)", g.start))
	}
	g.opts.Start = start
	if err := g.opts.Validate(); err != nil {
		return g.opts, usageErr(err)
	}
	return g.opts, nil
}
