package sink

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/csv"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// rowsPerInsert bounds one INSERT, so memory stays flat however large a week is.
const rowsPerInsert = 50_000

// ServerOptions reach a ClickHouse server. The password lives only in clickhouse-go's options.
type ServerOptions struct {
	Host     string
	Port     int
	User     string
	Password string
	Secure   bool
	// Protocol is "native" (the default) or "http".
	Protocol string
	Settings map[string]string
}

// Server writes through clickhouse-go: DDL with Exec, rows as CSV inline in INSERT statements
// (FORMAT CSV), which every ClickHouse endpoint takes over both protocols. (Native batches would be
// the other choice; libchdb, behind dwm serve, ends inline INSERT data at two consecutive newline
// bytes, which Native data can hold.)
type Server struct {
	conn driver.Conn
}

// OpenClickHouse connects and pings the server.
func OpenClickHouse(ctx context.Context, o ServerOptions) (*Server, error) {
	if o.Host == "" {
		o.Host = "localhost"
	}
	proto := clickhouse.Native
	switch o.Protocol {
	case "", "native":
	case "http":
		proto = clickhouse.HTTP
	default:
		return nil, fmt.Errorf("sink: unknown protocol %q (native or http)", o.Protocol)
	}
	if o.Port == 0 {
		o.Port = defaultPort(proto, o.Secure)
	}
	if o.User == "" {
		o.User = "default"
	}
	opts := &clickhouse.Options{Addr: []string{net.JoinHostPort(o.Host, strconv.Itoa(o.Port))}, Protocol: proto,
		Auth: clickhouse.Auth{Username: o.User, Password: o.Password}, DialTimeout: 10 * time.Second, Settings: clickhouse.Settings{}}
	if o.Secure {
		opts.TLS = &tls.Config{ServerName: o.Host, MinVersion: tls.VersionTLS12}
	}
	for k, v := range o.Settings {
		opts.Settings[k] = v
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("sink: connect %s: %w", opts.Addr[0], err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sink: connect %s: %w", opts.Addr[0], err)
	}
	return &Server{conn: conn}, nil
}

// defaultPort is ClickHouse's port for a protocol, with or without TLS.
func defaultPort(proto clickhouse.Protocol, secure bool) int {
	switch {
	case proto == clickhouse.HTTP && secure:
		return 8443
	case proto == clickhouse.HTTP:
		return 8123
	case secure:
		return 9440
	}
	return 9000
}

// Exec implements Conn.
func (s *Server) Exec(ctx context.Context, sql string) error { return s.conn.Exec(ctx, sql) }

// Insert implements Conn.
func (s *Server) Insert(ctx context.Context, table string, cols []Column, rows [][]string) error {
	return csvInserts(table, cols, rows, func(sql string) error { return s.conn.Exec(ctx, sql) })
}

// Close closes the connection.
func (s *Server) Close() error { return s.conn.Close() }

// ExecConn writes through anything that runs one SQL statement, such as the embedded engine: the
// rows go inline as CSV after INSERT ... FORMAT CSV.
type ExecConn func(ctx context.Context, sql string) error

// Exec implements Conn.
func (f ExecConn) Exec(ctx context.Context, sql string) error { return f(ctx, sql) }

// Insert implements Conn.
func (f ExecConn) Insert(ctx context.Context, table string, cols []Column, rows [][]string) error {
	return csvInserts(table, cols, rows, func(sql string) error { return f(ctx, sql) })
}

// csvInserts runs one INSERT ... FORMAT CSV with the rows inline per rowsPerInsert rows. An empty
// field is NULL for Nullable columns (input_format_csv_empty_as_default, on by default).
func csvInserts(table string, cols []Column, rows [][]string, exec func(string) error) error {
	for len(rows) > 0 {
		n := min(len(rows), rowsPerInsert)
		var buf bytes.Buffer
		buf.WriteString("INSERT INTO " + table + " (" + names(cols) + ") FORMAT CSV\n")
		w := csv.NewWriter(&buf)
		if err := w.WriteAll(rows[:n]); err != nil {
			return err
		}
		if err := exec(buf.String()); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func names(cols []Column) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quoteIdent(c.Name)
	}
	return strings.Join(q, ", ")
}
