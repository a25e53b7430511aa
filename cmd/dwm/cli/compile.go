package cli

import (
	"fmt"

	"github.com/dwmhq/dwm/engine/artifacts"
	"github.com/dwmhq/dwm/engine/compile"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/spf13/cobra"
)

func newCompileCmd(s *Streams, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "compile",
		Short: "Render the selected models and tests to target/compiled (needs no warehouse)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sess, err := g.openSession()
			if err != nil {
				return err
			}
			if err := sess.WriteManifest(); err != nil {
				return failErr(err)
			}
			ids, warns, err := sess.Select(g.selectArgs(), g.excludeArgs(), []manifest.ResourceType{manifest.Model, manifest.Test}, "")
			if err != nil {
				return usageErr(err)
			}
			warnSelection(s, warns)
			count := 0
			for _, id := range ids {
				n := sess.Node(id)
				if sess.Project.Templates[id] == nil {
					continue // generic tests compile when they run
				}
				sql, err := sess.Compiler.Node(id, compile.Options{})
				if err != nil {
					return usageErr(err)
				}
				if err := artifacts.WriteFile(sess.Target.CompiledPath(sess.Project.Manifest.Project, n), []byte(sql)); err != nil {
					return failErr(err)
				}
				count++
			}
			fmt.Fprintf(s.Out, "Compiled %d nodes into %s\n", count, sess.Target)
			return nil
		},
	}
}
