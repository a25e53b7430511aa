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
			// manifest.json is written while the nodes render: both only read the loaded project,
			// and its single-threaded tail (assembling and writing ~27 MB for 10,000 models)
			// would otherwise wait for the whole render.
			manifestDone := make(chan error, 1)
			go func() { manifestDone <- sess.WriteManifest() }()
			ids, warns, err := sess.Select(g.selectArgs(), g.excludeArgs(), []manifest.ResourceType{manifest.Model, manifest.Test}, "")
			if err != nil {
				<-manifestDone
				return usageErr(err)
			}
			warnSelection(s, warns)
			count, err := sess.CompileNodes(ids, true)
			if merr := <-manifestDone; merr != nil {
				return failErr(merr)
			}
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
