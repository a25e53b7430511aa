package cli

import (
	"fmt"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/spf13/cobra"
)

func newChecksumCmd(s *Streams, g *globalOptions) *cobra.Command {
	var ignore []string
	cmd := &cobra.Command{
		Use:   "checksum",
		Short: "Print a row count and an order-independent hash of each selected model and seed",
		Long: `checksum fingerprints relations so two builds can be compared: after a --full-refresh, on another
target, or before and after a change. Load-time columns differ between equal builds; leave them out
with --ignore-columns (default: inserted_at).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sess, err := g.openSession()
			if err != nil {
				return err
			}
			defer sess.Close()
			ids, warns, err := sess.Select(g.selectArgs(), g.excludeArgs(), []manifest.ResourceType{manifest.Model, manifest.Seed}, "")
			if err != nil {
				return usageErr(err)
			}
			warnSelection(s, warns)
			sums, err := sess.Checksums(cmd.Context(), ids, ignore)
			if err != nil {
				return failErr(err)
			}
			for _, c := range sums {
				fmt.Fprintf(s.Out, "%s\t%s\t%s\n", sess.Node(c.UniqueID).Name, c.Rows, c.Hash)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&ignore, "ignore-columns", []string{"inserted_at"}, "columns to leave out of the hash")
	return cmd
}
