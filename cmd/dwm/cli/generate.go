package cli

import "github.com/spf13/cobra"

// newGenerateCmd is a placeholder owned by the generator work (issue 3).
func newGenerateCmd(s *Streams) *cobra.Command {
	return &cobra.Command{Use: "generate", Short: "Simulate the leagues backend and write weekly CDC CSVs"}
}
