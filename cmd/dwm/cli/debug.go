package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/dwmhq/dwm/engine/session"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/spf13/cobra"

	"github.com/dwmhq/dwm/engine/project"
)

func newDebugCmd(s *Streams, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "debug",
		Short: "Show the project, the target (without secrets) and the engine version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sess, err := g.openSession()
			if err != nil {
				return err
			}
			defer sess.Close()
			p := sess.Project
			t := p.Target
			fmt.Fprintf(s.Out, "project:   %s (%s)\n", p.File.Name, sess.Dir)
			fmt.Fprintf(s.Out, "nodes:     %d\n", len(p.Manifest.Nodes))
			fmt.Fprintf(s.Out, "target:    %s (type %s, database %s)\n", p.TargetName, t.Type, t.Database)
			switch t.Type {
			case "chdb":
				fmt.Fprintf(s.Out, "data dir:  %s\n", filepath.Join(sess.Dir, t.Path))
				if lib, err := chdb.FindLibrary(t.Library, os.Getenv); err == nil {
					fmt.Fprintf(s.Out, "libchdb:   %s (dwm %s is made for libchdb %s)\n", lib, session.Version, chdb.LibchdbVersion)
				}
			default:
				pw := "not set"
				if t.Password != "" {
					pw = "set (hidden)"
				}
				fmt.Fprintf(s.Out, "server:    %s:%d user %s, password %s, secure %v\n", t.Host, t.Port, t.User, pw, t.Secure)
			}
			fmt.Fprintf(s.Out, "s3:        %s\n", describeS3(t.S3))
			wh, err := sess.Warehouse(cmd.Context())
			if err != nil {
				fmt.Fprintln(s.Out, "connection: FAILED")
				return usageErr(err)
			}
			v, err := wh.Version(cmd.Context())
			if err != nil {
				return failErr(err)
			}
			fmt.Fprintf(s.Out, "engine:    ClickHouse %s (%s)\n", v, wh.Capabilities().Kind)
			fmt.Fprintln(s.Out, "connection: OK")
			return nil
		},
	}
}

func newCleanCmd(s *Streams, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "clean",
		Short: "Delete the target directory (compiled SQL and artifacts)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sess, err := g.openSession()
			if err != nil {
				return err
			}
			dir := string(sess.Target)
			if err := os.RemoveAll(dir); err != nil {
				return failErr(err)
			}
			fmt.Fprintf(s.Out, "Removed %s\n", dir)
			return nil
		},
	}
}

// describeS3 says where object storage is and whether keys are set, never what they are.
func describeS3(c project.S3) string {
	ep := c.Endpoint
	if ep == "" && c.Region != "" {
		ep = "AWS region " + c.Region
	}
	if ep == "" {
		ep = "no endpoint"
	}
	if c.Credentials == "server" {
		return ep + ", the server's own credentials"
	}
	keys := "keys not set"
	if c.AccessKeyID != "" && c.SecretAccessKey != "" {
		keys = "keys set (hidden)"
	}
	return ep + ", " + keys
}
