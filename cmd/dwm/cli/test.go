package cli

import (
	"time"

	"github.com/dwmhq/dwm/engine/dtest"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/spf13/cobra"
)

// testOptions are the flags test and build add to the global ones.
type testOptions struct {
	warnError bool
	junit     string
	full      bool
}

func (o *testOptions) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.warnError, "warn-error", false, "treat test warnings as failures")
	cmd.Flags().StringVar(&o.junit, "junit", "", "write the test results as JUnit XML to this file")
	// dwm test --full; build and simulate, which also take --full-refresh, say what is full.
	name := "full-tests"
	if cmd.Name() == "test" {
		name = "full"
	}
	cmd.Flags().BoolVar(&o.full, name, false, "run every data test over the whole relation (by default tests on staging, fact and "+
		"batch_column models check only the batches added since they last passed)")
}

func (o *testOptions) tests(sess *session.Session, opts session.RunOptions) session.RunOptions {
	return dtest.New(sess, dtest.Options{WarnError: o.warnError, Full: o.full}).RunOptions(opts)
}

func (o *testOptions) report(suite string) func(*session.Session, []runner.Result, time.Duration) error {
	return func(sess *session.Session, results []runner.Result, elapsed time.Duration) error {
		if o.junit == "" {
			return nil
		}
		return writeJUnit(o.junit, suite, sess.Project.Manifest, results, elapsed)
	}
}

func newTestCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &testOptions{}
	cmd := &cobra.Command{
		Use:   "test",
		Short: "Run the selected data tests and unit tests (selecting a model selects its tests)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return executeRun(cmd.Context(), s, g, testKind(o))
		},
	}
	o.register(cmd)
	return cmd
}

func testKind(o *testOptions) runKind {
	return runKind{name: "test", what: "tests", types: []manifest.ResourceType{manifest.Test, manifest.UnitTest},
		tests: o.tests, report: o.report("dwm test"), args: map[string]any{"warn_error": o.warnError, "full": o.full}}
}
