package cli

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/dwmhq/dwm/engine/serve"
	"github.com/dwmhq/dwm/engine/serve/core"
	"github.com/dwmhq/dwm/engine/serve/sandbox"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// envServePassword is where `dwm serve` reads its password when --password is not given, so
// the secret need not appear in the process list.
const envServePassword = "DWM_SERVE_PASSWORD"

type serveOptions struct {
	host     string
	port     int
	user     string
	password string
	path     string
	library  string
	database string
	access   serveAccess
	// piiColumns are the project's personal-data columns by table, for users with pii: false.
	piiColumns func(table string) []string
}

func newServeCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the embedded warehouse over ClickHouse's HTTP interface",
		Long: `serve answers ClickHouse's HTTP interface (the one on port 8123) from the embedded engine, so
curl, clickhouse-client, BI tools, clickhouse-connect, dbt-clickhouse and clickhouse-go clients
can query a laptop warehouse, and a project target of type clickhouse can point at it. It serves
--path, or else the data directory of the project's chdb target. It binds to 127.0.0.1 unless told
otherwise; the password comes from --password or ` + envServePassword + `, or users and their hashed
passwords from --users-file. Clients' SQL reaches only the warehouse's own data (and the object
store named by $AWS_ENDPOINT_URL or --allow-url) unless --no-sandbox. Ctrl-C stops it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("password") {
				o.password = os.Getenv(envServePassword)
			}
			if o.path == "" {
				if err := o.fromProject(g); err != nil {
					return err
				}
			}
			return serveRun(cmd, s, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.host, "host", "127.0.0.1", "address to listen on")
	f.IntVar(&o.port, "port", 8123, "port to listen on (0 picks a free one)")
	f.StringVar(&o.user, "user", "default", "the user name clients must send")
	f.StringVar(&o.password, "password", "", "the password clients must send (default: $"+envServePassword+")")
	f.StringVar(&o.path, "path", "", "data directory to serve (default: the project's chdb target)")
	f.StringVar(&o.library, "library", "", "libchdb.so to load (default: the usual lookup)")
	f.StringVar(&o.database, "database", "", "database made current for requests that name none")
	o.access.register(f)
	return cmd
}

// fromProject fills the data directory from the project's target, which must be embedded.
func (o *serveOptions) fromProject(g *globalOptions) error {
	sess, err := g.openSession()
	if err != nil {
		return usageErr(fmt.Errorf("serve: pass --path, or run inside a project: %w", err))
	}
	defer sess.Close()
	t := sess.Project.Target
	if t.Type != "chdb" {
		return usageErr(fmt.Errorf("serve: target %s is %s, not chdb; pass --path", sess.Project.TargetName, t.Type))
	}
	tags, err := sess.PII()
	if err != nil {
		return usageErr(fmt.Errorf("serve: %w", err))
	}
	o.piiColumns = piiColumnsByTable(sess, tags)
	o.path = t.Path
	if !filepath.IsAbs(o.path) {
		o.path = filepath.Join(sess.Dir, o.path)
	}
	if o.library == "" {
		o.library = t.Library
	}
	if o.database == "" {
		o.database = t.Database
	}
	return nil
}

func serveRun(cmd *cobra.Command, s *Streams, o *serveOptions) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM)
	defer stop()
	addr := net.JoinHostPort(o.host, strconv.Itoa(o.port))
	if o.password == "" && o.access.usersFile == "" && !isLoopback(o.host) {
		fmt.Fprintf(s.Err, "warning: serving %s without a password (set %s)\n", addr, envServePassword)
	}
	users, err := o.access.users(o.user, o.password)
	if err != nil {
		return usageErr(fmt.Errorf("serve: %w", err))
	}
	if users != nil && users.AnyNoPII() && o.piiColumns == nil {
		return usageErr(fmt.Errorf("serve: the users file has users with pii: false, which needs the project's pii tags: run it inside the project instead of with --path"))
	}
	policy := o.access.policy(os.Getenv)
	engineDir, err := os.MkdirTemp("", "dwm-serve-")
	if err != nil {
		return failErr(err)
	}
	defer os.RemoveAll(engineDir)
	config, err := sandbox.Config(policy, engineDir)
	if err != nil {
		return usageErr(fmt.Errorf("serve: %w", err))
	}
	// Clients get connections of their own (core.Session); the pool only serves dwm itself.
	wh, err := chdb.Open(ctx, chdb.Options{Path: o.path, LibraryPath: o.library, Database: o.database, Conns: 1, ConfigFile: config})
	if err != nil {
		return failErr(err)
	}
	defer wh.Close()
	c := core.New(wh, core.Options{Users: users, Readonly: o.access.readonly, Sandbox: policy, Limits: o.access.core,
		PIIColumns: o.piiColumns})
	defer c.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageErr(fmt.Errorf("serve: %w", err))
	}
	// One line with the real address, so scripts that pass --port 0 can read it.
	fmt.Fprintf(s.Out, "dwm serve: listening on http://%s (data %s)\n", ln.Addr(), wh.Dir())
	srv := serve.New(c, serve.Options{Log: s.Err, Limits: o.access.httpLimits()})
	if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, ctx.Err()) {
		return failErr(err)
	}
	fmt.Fprintln(s.Out, "dwm serve: stopped")
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
