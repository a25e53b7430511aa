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

// Server writes through clickhouse-go, the way a tool's ClickHouse connector does: DDL with Exec,
// rows as typed batches (Native format).
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

// Insert implements Conn with clickhouse-go batches of typed values.
func (s *Server) Insert(ctx context.Context, table string, cols []Column, rows [][]string) error {
	for len(rows) > 0 {
		n := min(len(rows), rowsPerInsert)
		// Plain column names: clickhouse-go names the Native block's columns after them, and the
		// server matches those names against the table's (a quoted name would not match).
		plain := make([]string, len(cols))
		for i, c := range cols {
			plain[i] = c.Name
		}
		b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(plain, ", ")+")")
		if err != nil {
			return err
		}
		vals := make([]any, len(cols))
		for i, r := range rows[:n] {
			for j, c := range cols {
				if vals[j], err = goValue(c.Type, r[j]); err != nil {
					_ = b.Abort()
					return fmt.Errorf("row %d, %s: %w", i+1, c.Name, err)
				}
			}
			if err := b.Append(vals...); err != nil {
				_ = b.Abort()
				return fmt.Errorf("row %d: %w", i+1, err)
			}
		}
		if err := b.Send(); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
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
	for len(rows) > 0 {
		n := min(len(rows), rowsPerInsert)
		var buf bytes.Buffer
		buf.WriteString("INSERT INTO " + table + " (" + names(cols) + ") FORMAT CSV\n")
		w := csv.NewWriter(&buf)
		if err := w.WriteAll(rows[:n]); err != nil {
			return err
		}
		if err := f(ctx, buf.String()); err != nil {
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

// goValue converts the generator's text to the Go value clickhouse-go appends to a column of
// type typ; "" is NULL for Nullable types.
func goValue(typ, s string) (any, error) {
	t := typ
	if strings.HasPrefix(t, "LowCardinality(") {
		t = strings.TrimSuffix(strings.TrimPrefix(t, "LowCardinality("), ")")
	}
	if strings.HasPrefix(t, "Nullable(") {
		if s == "" {
			return nil, nil
		}
		t = strings.TrimSuffix(strings.TrimPrefix(t, "Nullable("), ")")
	}
	switch {
	case t == "String" || strings.HasPrefix(t, "FixedString"):
		return s, nil
	case t == "Bool":
		return strconv.ParseBool(s)
	case t == "Date" || t == "Date32":
		return time.Parse(time.DateOnly, s)
	case t == "DateTime" || strings.HasPrefix(t, "DateTime64"):
		return time.Parse("2006-01-02 15:04:05.999999999", s)
	case strings.HasPrefix(t, "UInt"):
		bits, _ := strconv.Atoi(t[4:])
		v, err := strconv.ParseUint(s, 10, bits)
		if err != nil {
			return nil, err
		}
		switch bits {
		case 8:
			return uint8(v), nil
		case 16:
			return uint16(v), nil
		case 32:
			return uint32(v), nil
		}
		return v, nil
	case strings.HasPrefix(t, "Int"):
		bits, _ := strconv.Atoi(t[3:])
		v, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return nil, err
		}
		switch bits {
		case 8:
			return int8(v), nil
		case 16:
			return int16(v), nil
		case 32:
			return int32(v), nil
		}
		return v, nil
	}
	return nil, fmt.Errorf("type %s is not one the sink writes", typ)
}
