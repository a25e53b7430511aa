package cli

import (
	"github.com/dwmhq/dwm/engine/dtest"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/spf13/cobra"
)

func newBuildCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &testOptions{}
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Load seeds, build models and run their tests and unit tests in dependency order",
		Long: "build runs the selected seeds, models, tests and unit tests in one DAG: a model's unit tests run\n" +
			"before it, its data tests right after it, and a failing error-severity test skips its descendants.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return executeRun(cmd.Context(), s, g, buildKind(o, "dwm build"))
		},
	}
	o.register(cmd)
	g.registerEmpty(cmd)
	return cmd
}

// buildKind is `dwm build`: seeds, models, tests and unit tests in one plan (dwm simulate reuses it).
func buildKind(o *testOptions, suite string) runKind {
	return runKind{name: "build", what: "nodes",
		types: []manifest.ResourceType{manifest.Seed, manifest.Model, manifest.Snapshot, manifest.Test, manifest.UnitTest},
		tests: o.tests, report: o.report(suite), args: map[string]any{"warn_error": o.warnError, "full": o.full},
		reshape: func(sess *session.Session) func(runner.Plan) runner.Plan {
			return dtest.BuildPlan(sess.Project.Manifest, sess.DAG)
		}}
}
