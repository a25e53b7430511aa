package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

func newEraseCmd(s *Streams, g *globalOptions) *cobra.Command {
	var files bool
	cmd := &cobra.Command{
		Use:   "erase MODEL KEY...",
		Short: "Erase data subjects: scrub their personal data from every table, for good (GDPR)",
		Long: `erase logs the keys of a data subject model (one whose YAML says meta: {pii_subject: true}, e.g.
users) in the erasure log, then blanks every column tagged pii (and every column that inherits the tag)
in every table that holds the key: every version of the history, staging and quarantine rows, facts
and downstream tables. Other columns stay, so the history keeps its versions, dates and numbers.
Every later load and rebuild applies the log again. Running it again changes nothing; killed, it is
finished by running it again (or by the next build).

--files also rewrites the landed CSV files of staging and fact models so they no longer hold the
erased values, and records their new checksums in the ledger as an erasure (docs/gdpr.md).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 && !files {
				return usageErr(fmt.Errorf("erase: give a model and at least one key (e.g. dwm erase users 42), or --files"))
			}
			sess, err := g.openSession()
			if err != nil {
				return err
			}
			defer sess.Close()
			ctx := cmd.Context()
			tags, err := sess.PII()
			if err != nil {
				return usageErr(err)
			}
			if _, ok := tags.Subject(args[0]); !ok {
				var names []string
				for _, sub := range tags.Subjects {
					names = append(names, sub.Model)
				}
				return usageErr(fmt.Errorf("erase: %s is not a data subject model (meta pii_subject: true); subjects: %s", args[0], strings.Join(names, ", ")))
			}
			e, err := sess.Eraser(ctx, nil)
			if err != nil {
				return failErr(err)
			}
			if len(args) > 1 {
				added, done, err := e.Request(ctx, args[0], args[1:])
				if err != nil {
					return failErr(err)
				}
				fmt.Fprintf(s.Out, "%d of %d keys newly logged as erased\n", added, len(args)-1)
				for _, d := range done {
					fmt.Fprintf(s.Out, "scrubbed %d rows of %s (%s)\n", d.Rows, d.Table, strings.Join(d.Columns, ", "))
				}
			}
			if files {
				rewritten, err := sess.EraseFiles(ctx, args[0])
				if err != nil {
					return failErr(err)
				}
				for _, f := range rewritten {
					fmt.Fprintf(s.Out, "rewrote %s: %d rows blanked, sha256 %s\n", f.Path, f.Rows, f.SHA256)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&files, "files", false, "also rewrite the landed CSV files that hold erased values, recording the new checksums in the ledger")
	return cmd
}
