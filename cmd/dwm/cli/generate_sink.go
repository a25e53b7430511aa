package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/dwmhq/dwm/generator"
	"github.com/dwmhq/dwm/generator/sink"
	"github.com/spf13/pflag"
)

// sinkOptions are the flags with which generate also plays a CDC tool.
type sinkOptions struct {
	target   string
	format   string
	database string
}

func (o *sinkOptions) register(f *pflag.FlagSet) {
	f.StringVar(&o.target, "sink", "", "also write the changes into the tables of a CDC tool on this project `TARGET` (docs/generator.md)")
	f.StringVar(&o.format, "cdc-format", "", "with --sink: the tool to play, peerdb or debezium")
	f.StringVar(&o.database, "sink-database", "", "with --sink: the database of the tool's tables (default: the format's name)")
}

func (o *sinkOptions) validate() error {
	switch {
	case o.target == "" && (o.format != "" || o.database != ""):
		return usageErr(fmt.Errorf("--cdc-format and --sink-database need --sink TARGET"))
	case o.target != "" && o.format != sink.PeerDB && o.format != sink.Debezium:
		return usageErr(fmt.Errorf("--sink needs --cdc-format peerdb or debezium, got %q", o.format))
	}
	return nil
}

// writeSink delivers what Generate wrote to the target's tables: the reference data with week 1
// (a tool's initial snapshot), then the weeks written. The target is the project's: through
// clickhouse-go for a server, through the embedded engine for chdb.
func writeSink(ctx context.Context, s *Streams, g *globalOptions, o *sinkOptions, opts generator.Options, sum generator.Summary) error {
	var weeks []int
	for _, m := range sum.Weeks {
		if m.Week == 1 {
			weeks = append(weeks, 0)
		}
		weeks = append(weeks, m.Week)
	}
	gg := *g
	gg.target = o.target
	sess, err := gg.openSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	t := sess.Project.Target
	var conn sink.Conn
	switch t.Type {
	case "clickhouse":
		srv, err := sink.OpenClickHouse(ctx, sink.ServerOptions{Host: t.Host, Port: t.Port, User: t.User, Password: t.Password,
			Secure: t.Secure, Protocol: t.Protocol, Settings: t.Settings})
		if err != nil {
			return failErr(err)
		}
		defer srv.Close()
		conn = srv
	default:
		wh, err := sess.Warehouse(ctx)
		if err != nil {
			return failErr(fmt.Errorf("sink: open target %s: %w", o.target, err))
		}
		conn = sink.ExecConn(func(ctx context.Context, sql string) error {
			_, err := wh.Exec(ctx, sql)
			return err
		})
	}
	got, err := sink.Write(ctx, conn, sink.Options{Format: o.format, Database: o.database, Out: opts.Out, Weeks: weeks, Start: opts.Start})
	if err != nil {
		return failErr(err)
	}
	db := o.database
	if db == "" {
		db = o.format
	}
	var parts []string
	for name, n := range got {
		parts = append(parts, fmt.Sprintf("%s %d", name, n))
	}
	sort.Strings(parts)
	fmt.Fprintf(s.Out, "wrote %s tables in %s on target %s: %s\n", o.format, db, o.target, strings.Join(parts, ", "))
	return nil
}
