package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dwmhq/dwm/engine/dbtimport"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/spf13/cobra"
)

type importOptions struct {
	src, dest   string
	profilesDir string
}

func newImportCmd(s *Streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Bring a project from another tool into dwm",
	}
	opts := &importOptions{}
	dbt := &cobra.Command{
		Use:   "dbt SRC DEST",
		Short: "Convert a dbt project (Jinja, dbt_project.yml, profiles.yml) into a dwm project",
		Long: `Convert the dbt project in SRC into a dwm project written to DEST (which must not exist or be
empty). Constructs that do not convert stay as written and are listed with file:line and the
reason; the command then exits 1 (0 when everything converted). See docs/from-dbt.md.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.src, opts.dest = args[0], args[1]
			return importRun(s, opts)
		},
	}
	dbt.Flags().StringVar(&opts.profilesDir, "profiles-dir", "", "directory of profiles.yml (default: SRC)")
	cmd.AddCommand(dbt)
	return cmd
}

// snapshotConfigKeys are read by snapshots, which have their own folder and loader (issue 13);
// the importer writes them into snapshots/*.sql.
var snapshotConfigKeys = []string{"strategy", "updated_at", "check_cols", "hard_deletes"}

func importRun(s *Streams, opts *importOptions) error {
	if entries, err := os.ReadDir(opts.dest); err == nil && len(entries) > 0 {
		return usageErr(fmt.Errorf("%s is not empty; import writes a new project", opts.dest))
	}
	keys, err := session.KnownConfigKeys()
	if err != nil {
		return failErr(err)
	}
	io := dbtimport.Options{ConfigKeys: append(keys, snapshotConfigKeys...)}
	if opts.profilesDir != "" {
		io.ProfilesFile = filepath.Join(opts.profilesDir, "profiles.yml")
		b, err := os.ReadFile(io.ProfilesFile)
		if err != nil {
			return usageErr(err)
		}
		io.Profiles = b
	}
	res, err := dbtimport.Import(os.DirFS(opts.src), io)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return usageErr(err)
		}
		return usageErr(fmt.Errorf("import %s: %w", opts.src, err))
	}
	for _, p := range res.Paths() {
		out := filepath.Join(opts.dest, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return failErr(err)
		}
		if err := os.WriteFile(out, res.Files[p], 0o644); err != nil {
			return failErr(err)
		}
	}
	fmt.Fprintf(s.Out, "Wrote %d files to %s\n", len(res.Files), opts.dest)
	for _, n := range res.Notes {
		fmt.Fprintf(s.Out, "note: %s\n", n)
	}
	if len(res.Problems) == 0 {
		fmt.Fprintln(s.Out, "Everything converted.")
		return nil
	}
	for _, p := range res.Problems {
		fmt.Fprintln(s.Err, p)
	}
	return failErr(fmt.Errorf("%d constructs were not converted; they are left as written in %s", len(res.Problems), opts.dest))
}
