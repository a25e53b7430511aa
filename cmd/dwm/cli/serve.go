package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/dwmhq/dwm/engine/serve"
	"github.com/dwmhq/dwm/engine/serve/discovery"
	"github.com/dwmhq/dwm/engine/serve/tcp"
	"github.com/dwmhq/dwm/engine/serve/tcp/rawengine"
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
}

func newServeCmd(s *Streams, g *globalOptions) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the embedded warehouse over ClickHouse's HTTP and native TCP protocols",
		Long: `serve answers ClickHouse's HTTP interface (port 8123) and native TCP protocol (port 9000) from
the embedded engine, so curl, clickhouse-client, BI tools, clickhouse-go and clickhouse-driver can
query a laptop warehouse, and a project target of type clickhouse can point at it. It serves
--path, or else the data directory of the project's chdb target. It binds to 127.0.0.1 unless told
otherwise; the password comes from --password or ` + envServePassword + `. Its first lines name
every endpoint (http://HOST:PORT, tcp://HOST:PORT). Ctrl-C stops it.`,
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
			return serveRun(cmd, s, o, g.threads)
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

func serveRun(cmd *cobra.Command, s *Streams, o *serveOptions, threads int) error {
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM)
	defer stop()
	if o.password == "" && !isLoopback(o.host) {
		fmt.Fprintf(s.Err, "warning: serving %s without a password (set %s)\n", o.host, envServePassword)
	}
	wh, err := chdb.Open(ctx, chdb.Options{Path: o.path, LibraryPath: o.library, Database: o.database, Conns: threads})
	if err != nil {
		return failErr(err)
	}
	defer wh.Close()
	ln, err := net.Listen("tcp", net.JoinHostPort(o.host, strconv.Itoa(o.port)))
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
	token, remove := announce(s, wh.Dir(), ln, tcpLn)
	defer remove()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	servers := []func() error{func() error {
		return serve.New(wh, serve.Options{User: o.user, Password: o.password, Log: s.Err}).Serve(ctx, ln)
	}}
	if tcpLn != nil {
		eng := rawengine.New(wh, rawengine.Options{User: o.user, Password: o.password, Token: token})
		servers = append(servers, func() error { return tcp.New(eng, tcp.Options{Log: s.Err}).Serve(ctx, tcpLn) })
	}
	errc := make(chan error, len(servers))
	for _, run := range servers {
		go func() { errc <- run() }()
	}
	var firstErr error
	for range servers {
		if err := <-errc; err != nil && firstErr == nil {
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
// while it holds the warehouse, and returns the token it admits them with and the file's removal.
func announce(s *Streams, dir string, ln, tcpLn net.Listener) (string, func()) {
	token, err := discovery.NewToken()
	if err != nil {
		fmt.Fprintf(s.Err, "warning: dwm commands on this project cannot run through this server: %v\n", err)
		return "", func() {}
	}
	info := discovery.Info{PID: os.Getpid(), HTTP: ln.Addr().String(), User: rawengine.LocalUser, Token: token}
	if tcpLn != nil {
		info.TCP = connectAddr(tcpLn.Addr())
	}
	remove, err := discovery.Write(dir, info)
	if err != nil {
		fmt.Fprintf(s.Err, "warning: dwm commands on this project cannot run through this server: %v\n", err)
		return "", func() {}
	}
	return token, remove
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
