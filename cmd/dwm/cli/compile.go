package cli

import (
	"errors"
	"fmt"
	"io/fs"

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
			ids, warns, err := sess.Select(g.selectArgs(), g.excludeArgs(), []manifest.ResourceType{manifest.Model, manifest.Snapshot, manifest.Test}, "")
			if err != nil {
				return usageErr(err)
			}
			warnSelection(s, warns)
			count, err := sess.CompileNodes(ids, true)
			if err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					return failErr(err)
				}
				return usageErr(err)
			}
			fmt.Fprintf(s.Out, "Compiled %d nodes into %s\n", count, sess.Target)
			return nil
		},
	}
}
