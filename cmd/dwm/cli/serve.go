package cli

import (
	"context"
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
	"github.com/dwmhq/dwm/engine/serve/discovery"
	"github.com/dwmhq/dwm/engine/serve/sandbox"
	"github.com/dwmhq/dwm/engine/serve/tcp"
	"github.com/dwmhq/dwm/engine/serve/tcp/coreengine"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// envServePassword is where `dwm serve` reads its password when --password is not given, so
// the secret need not appear in the process list.
const envServePassword = "DWM_SERVE_PASSWORD"

type serveOptions struct {
	host     string
	port     int
	tcpPort  int
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
		Short: "Serve the embedded warehouse over ClickHouse's HTTP and native TCP protocols",
		Long: `serve answers ClickHouse's HTTP interface (port 8123) and native TCP protocol (port 9000) from
the embedded engine, so curl, clickhouse-client, BI tools, clickhouse-connect, dbt-clickhouse,
clickhouse-go and clickhouse-driver can query a laptop warehouse, and a project target of type
clickhouse can point at it. It serves --path, or else the data directory of the project's chdb
target. It binds to 127.0.0.1 unless told otherwise; the password comes from --password or
` + envServePassword + `, or users and their hashed passwords from --users-file. Clients' SQL reaches
only the warehouse's own data (and the object store named by $AWS_ENDPOINT_URL or --allow-url)
unless --no-sandbox. Its first lines name every endpoint (http://HOST:PORT, tcp://HOST:PORT).
While it runs, dwm commands on the same project go through it. Ctrl-C stops it.`,
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
	f.IntVar(&o.port, "port", 8123, "HTTP port to listen on (0 picks a free one)")
	f.IntVar(&o.tcpPort, "tcp-port", 9000, "native TCP port to listen on (0 picks a free one, -1 turns it off)")
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
	// A serve or a run killed on this directory may have left tables of interrupted statements
	// and unfinished mutations; clients must not read around them.
	if err := wh.Recover(ctx); err != nil {
		return failErr(err)
	}
	// Local dwm commands on this project reach the warehouse through the server, as user
	// core.LocalUser with a token the discovery file hands them.
	token, err := discovery.NewToken()
	if err != nil {
		return failErr(err)
	}
	c := core.New(wh, core.Options{Users: users, Readonly: o.access.readonly, Sandbox: policy, Limits: o.access.core,
		PIIColumns: o.piiColumns, LocalToken: token})
	defer c.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usageErr(fmt.Errorf("serve: %w", err))
	}
	var tcpLn net.Listener
	if o.tcpPort >= 0 {
		if tcpLn, err = net.Listen("tcp", net.JoinHostPort(o.host, strconv.Itoa(o.tcpPort))); err != nil {
			ln.Close()
			return usageErr(fmt.Errorf("serve: %w (pass --tcp-port 0 for a free port, -1 for none)", err))
		}
	}
	// The first lines name every endpoint with its real address, so scripts that pass port 0
	// can read them; everything listens before they are printed.
	fmt.Fprintf(s.Out, "dwm serve: listening on http://%s\n", ln.Addr())
	if tcpLn != nil {
		fmt.Fprintf(s.Out, "dwm serve: listening on tcp://%s\n", tcpLn.Addr())
	}
	fmt.Fprintf(s.Out, "dwm serve: data %s\n", wh.Dir())
	remove := announce(s, wh.Dir(), token, ln, tcpLn)
	defer remove()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	servers := []func() error{func() error {
		return serve.New(c, serve.Options{Log: s.Err, Limits: o.access.httpLimits()}).Serve(ctx, ln)
	}}
	if tcpLn != nil {
		eng := coreengine.New(c, wh, coreengine.Options{})
		servers = append(servers, func() error { return tcp.New(eng, o.access.tcpOptions(s.Err)).Serve(ctx, tcpLn) })
	}
	errc := make(chan error, len(servers))
	for _, run := range servers {
		go func() { errc <- run() }()
	}
	var firstErr error
	for range servers {
		if err := <-errc; err != nil && !errors.Is(err, ctx.Err()) && firstErr == nil {
			firstErr = err
		}
		cancel() // one server failing stops the other
	}
	if firstErr != nil {
		return failErr(firstErr)
	}
	fmt.Fprintln(s.Out, "dwm serve: stopped")
	return nil
}

// announce leaves the discovery file by which dwm commands on this project find the server
// while it holds the warehouse, and returns the file's removal. Without it they fail as before
// ("in use by another process"), so a failure is a warning, not the end of serving.
func announce(s *Streams, dir, token string, ln, tcpLn net.Listener) func() {
	info := discovery.Info{PID: os.Getpid(), HTTP: ln.Addr().String(), User: core.LocalUser, Token: token}
	if tcpLn != nil {
		info.TCP = connectAddr(tcpLn.Addr())
	}
	remove, err := discovery.Write(dir, info)
	if err != nil {
		fmt.Fprintf(s.Err, "warning: dwm commands on this project cannot run through this server: %v\n", err)
		return func() {}
	}
	return remove
}

// connectAddr is where a local command reaches a listener: its own address, or loopback when
// it listens on every address.
func connectAddr(a net.Addr) string {
	t, ok := a.(*net.TCPAddr)
	if !ok || !t.IP.IsUnspecified() {
		return a.String()
	}
	if t.IP.To4() == nil {
		return net.JoinHostPort("::1", strconv.Itoa(t.Port))
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(t.Port))
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
