package cli

import (
	"fmt"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/spf13/cobra"
)

func newChecksumCmd(s *Streams, g *globalOptions) *cobra.Command {
	var ignore []string
	var owned bool
	cmd := &cobra.Command{
		Use:   "checksum",
		Short: "Print a row count and an order-independent hash of each selected model and seed",
		Long: `checksum fingerprints relations so two builds can be compared: after a --full-refresh, on another
target, or before and after a change. Load-time columns differ between equal builds; leave them out
with --ignore-columns (default: inserted_at, loaded_at).

--owned adds the tables dwm keeps beside the selected models, named database.table: their side
tables (<model>__quarantine, __versions, __current_parts), the ledger (dwm_ledger) of their
databases, and temporary tables an interrupted run left behind (a completed run drops them).
Each is fingerprinted whole: every row, whatever its partitions or parts.`,
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
				fmt.Fprintf(s.Out, "%s\t%s\t%s\n", c.Name, c.Rows, c.Hash)
			}
			if !owned {
				return nil
			}
			sums, err = sess.OwnedChecksums(cmd.Context(), ids, ignore)
			if err != nil {
				return failErr(err)
			}
			for _, c := range sums {
				fmt.Fprintf(s.Out, "%s\t%s\t%s\n", c.Name, c.Rows, c.Hash)
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&ignore, "ignore-columns", []string{"inserted_at", "loaded_at"}, "columns to leave out of the hash")
	cmd.Flags().BoolVar(&owned, "owned", false, "also fingerprint the ledger and the side tables of the selected models")
	return cmd
}
