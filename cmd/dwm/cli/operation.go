package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

func newRunOperationCmd(s *Streams, g *globalOptions) *cobra.Command {
	var args string
	cmd := &cobra.Command{
		Use:   "run-operation MACRO",
		Short: "Render a macro with arguments and execute the statements it produces",
		Long: "run-operation renders macros/**/*.sql's {{ define \"MACRO\" }} block with --args passed by name to\n" +
			"its {{ param }}s, splits the result at semicolons and executes each statement in order.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, pos []string) error {
			var kw map[string]any
			if args != "" {
				if err := yaml.Unmarshal([]byte(args), &kw); err != nil {
					return usageErr(fmt.Errorf("--args: not a YAML or JSON mapping: %v", err))
				}
			}
			sess, err := g.openSession()
			if err != nil {
				return err
			}
			defer sess.Close()
			n, err := sess.RunOperation(cmd.Context(), pos[0], kw)
			if err != nil {
				return failErr(errors.New(sess.Compiler.Scrub(err.Error())))
			}
			fmt.Fprintf(s.Out, "Ran %s: %d statement%s\n", pos[0], n, map[bool]string{true: "", false: "s"}[n == 1])
			return nil
		},
	}
	cmd.Flags().StringVar(&args, "args", "", "the macro's arguments by name, as YAML or JSON: '{table: orders, days: 7}'")
	return cmd
}
