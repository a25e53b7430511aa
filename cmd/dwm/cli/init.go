package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/dwmhq/dwm/engine/starter"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/spf13/cobra"
)

func newInitCmd(s *Streams) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Create a starter project in DIR (default: the current directory)",
		Long: "Creates project.yml (with the embedded ClickHouse target), a seed, two models and their tests\n" +
			"in DIR, made if missing. It never overwrites: when any of the files exists, nothing is written.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return initRun(s, dir, name)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the project's name (default: from DIR)")
	return cmd
}

func initRun(s *Streams, dir, name string) error {
	if name == "" {
		name = starter.ProjectName(dir)
	}
	paths, err := starter.Write(dir, name)
	if err != nil {
		if errors.Is(err, starter.ErrExists) {
			return usageErr(err)
		}
		return usageErr(fmt.Errorf("init: %w", err))
	}
	fmt.Fprintf(s.Out, "Created project %s in %s:\n", name, dir)
	for _, p := range paths {
		fmt.Fprintf(s.Out, "  %s\n", p)
	}
	if _, err := chdb.FindLibrary("", os.Getenv); err != nil {
		fmt.Fprintln(s.Out, "The embedded ClickHouse is not installed yet: run `dwm engine install` first.")
	}
	next := "dwm build"
	if dir != "." {
		next = "cd " + dir + " && dwm build"
	}
	fmt.Fprintf(s.Out, "Next: %s\n", next)
	return nil
}
