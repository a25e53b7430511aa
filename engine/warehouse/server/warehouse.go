// Package server is dwm's production target: a ClickHouse server or cluster reached through
// clickhouse-go over the native protocol (port 9000/9440) or HTTP (8123/8443).
//
// Results follow warehouse.Result's text contract: Query asks the server itself to turn every
// value into text (toString), so a server and the embedded engine print values identically
// without dwm re-implementing ClickHouse's formatting for each type.
package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// Cluster layouts accepted by Options.ClusterMode (docs/targets.md, "Clusters").
const (
	ClusterReplicated = "replicated"
	ClusterSharded    = "sharded"
)

// Protocol names accepted by Options.Protocol.
const (
	ProtocolNative = "native"
	ProtocolHTTP   = "http"
)

// DefaultPort returns ClickHouse's default port for a protocol and TLS choice.
func DefaultPort(protocol string, secure bool) int {
	switch {
	case protocol == ProtocolHTTP && secure:
		return 8443
	case protocol == ProtocolHTTP:
		return 8123
	case secure:
		return 9440
	}
	return 9000
}

// Options configure Open. The password is held only in clickhouse-go's options struct, never in
// a DSN string, so no error or log line built from a URL can carry it.
type Options struct {
	Host     string // default "localhost"
	Port     int    // default DefaultPort(Protocol, Secure)
	User     string // default "default"
	Password string
	// Database is the default database for unqualified names; empty keeps the user's default.
	Database string
	Secure   bool   // TLS, verified against the system roots
	Protocol string // ProtocolNative (default) or ProtocolHTTP
	// Cluster names the cluster (the servers' remote_servers) a multi-node target runs on; empty
	// for a single node. Open checks that the server knows it (see checkCluster).
	Cluster string
	// ClusterMode is ClusterReplicated (the default with Cluster) or ClusterSharded.
	ClusterMode string
	// ShardingKey is the sharding expression of Distributed tables on a sharded cluster;
	// default rand().
	ShardingKey string
	// ReplicatedDatabase: databases use the Replicated engine (table DDL without ON CLUSTER).
	ReplicatedDatabase bool
	// Settings are ClickHouse settings sent with every statement.
	Settings map[string]string
	// DialTimeout bounds connecting; default 10s.
	DialTimeout time.Duration
	// MaxOpenConns bounds parallel statements; default 4.
	MaxOpenConns int
	// ReadTimeout bounds waiting for a statement's answer; default 24h, since a model's
	// INSERT ... SELECT may run for hours and the caller's context is the real limit.
	ReadTimeout time.Duration
}

// Warehouse is an open ClickHouse server target. It is safe for concurrent use.
type Warehouse struct {
	conn     driver.Conn
	opts     Options
	addr     string
	idPrefix string // query_id prefix, so a cancelled statement can be found and killed
	seq      atomic.Uint64

	closeOnce sync.Once
	closeErr  error
}

var _ warehouse.Warehouse = (*Warehouse)(nil)

// codeUnknownDatabase is ClickHouse's UNKNOWN_DATABASE.
const codeUnknownDatabase = 81

// Open connects and pings the server, so a wrong address or password fails here with the
// server's own error rather than in the first model. A missing Database is created (ON CLUSTER
// when Cluster is set), as the embedded engine does, so a project's first run works on an
// empty server; users without CREATE DATABASE rights are never asked for it when it exists.
//
// On a cluster target Open also asks the server whether the declared layout can work (see
// checkCluster), so a wrong cluster name fails here with a message that says what to change.
func Open(ctx context.Context, opts Options) (*Warehouse, error) {
	switch opts.ClusterMode {
	case "", ClusterReplicated, ClusterSharded:
	default:
		return nil, fmt.Errorf("clickhouse open: unknown cluster mode %q (%s or %s)", opts.ClusterMode, ClusterReplicated, ClusterSharded)
	}
	w, err := open(ctx, opts)
	var qe *warehouse.QueryError
	if opts.Database != "" && errors.As(err, &qe) && qe.Code == codeUnknownDatabase {
		w, err = createDatabase(ctx, opts)
	}
	if err != nil {
		return nil, err
	}
	if err := w.checkCluster(ctx); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// createDatabase creates opts.Database through a connection without a default database, then
// opens opts.
func createDatabase(ctx context.Context, opts Options) (*Warehouse, error) {
	bare := opts
	bare.Database = ""
	b, err := open(ctx, bare)
	if err != nil {
		return nil, err
	}
	_, err = b.Exec(ctx, createDatabaseSQL(opts.Database, b.Capabilities()))
	b.Close()
	if err != nil {
		return nil, fmt.Errorf("clickhouse open: create database %s: %w", opts.Database, err)
	}
	return open(ctx, opts)
}

// createDatabaseSQL is materialize.CreateDatabase (which this package cannot import; a test
// holds the two equal): ON CLUSTER on a cluster, the Replicated engine when asked for.
func createDatabaseSQL(db string, caps warehouse.Capabilities) string {
	sql := "CREATE DATABASE IF NOT EXISTS " + quoteIdent(db)
	if caps.Cluster != "" {
		sql += " ON CLUSTER " + quoteIdent(caps.Cluster)
	}
	if caps.ReplicatedDatabase {
		sql += " ENGINE = Replicated"
	}
	return sql
}

func open(ctx context.Context, opts Options) (*Warehouse, error) {
	if opts.Host == "" {
		opts.Host = "localhost"
	}
	switch opts.Protocol {
	case "":
		opts.Protocol = ProtocolNative
	case ProtocolNative, ProtocolHTTP:
	default:
		return nil, fmt.Errorf("clickhouse open: unknown protocol %q (native or http)", opts.Protocol)
	}
	if opts.Port == 0 {
		opts.Port = DefaultPort(opts.Protocol, opts.Secure)
	}
	if opts.User == "" {
		opts.User = "default"
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 10 * time.Second
	}
	if opts.MaxOpenConns <= 0 {
		opts.MaxOpenConns = 4
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 24 * time.Hour
	}
	addr := net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port))
	var id [6]byte
	_, _ = rand.Read(id[:])
	w := &Warehouse{opts: opts, addr: addr, idPrefix: "dwm-" + hex.EncodeToString(id[:]) + "-"}

	chOpts := &clickhouse.Options{
		Addr:            []string{addr},
		Auth:            clickhouse.Auth{Username: opts.User, Password: opts.Password, Database: opts.Database},
		Protocol:        clickhouse.Native,
		DialTimeout:     opts.DialTimeout,
		ReadTimeout:     opts.ReadTimeout,
		MaxOpenConns:    opts.MaxOpenConns,
		MaxIdleConns:    opts.MaxOpenConns,
		ConnMaxLifetime: time.Hour,
		Settings:        clickhouse.Settings{},
		ClientInfo: clickhouse.ClientInfo{Products: []struct{ Name, Version string }{
			{Name: "dwm", Version: "dev"},
		}},
	}
	if opts.Protocol == ProtocolHTTP {
		chOpts.Protocol = clickhouse.HTTP
		chOpts.TransportFunc = func(t *http.Transport) (http.RoundTripper, error) { return summaryTransport{next: t}, nil }
	}
	if opts.Secure {
		chOpts.TLS = &tls.Config{ServerName: opts.Host, MinVersion: tls.VersionTLS12}
	}
	for k, v := range opts.Settings {
		chOpts.Settings[k] = v
	}
	conn, err := clickhouse.Open(chOpts)
	if err != nil {
		return nil, w.wrap("clickhouse open "+addr, err, "")
	}
	w.conn = conn
	if err := conn.Ping(ctx); err != nil {
		_ = conn.Close()
		return nil, w.wrap("clickhouse connect "+addr, err, "")
	}
	return w, nil
}

// Capabilities: file() runs on the server, so seeds and CDC batches are sent inline; Atomic
// databases (the default since ClickHouse 20.10) swap tables with EXCHANGE TABLES. A cluster
// target always replicates its tables (a cluster of independent nodes would hold a different
// table on each), and shards them when its mode says so.
func (w *Warehouse) Capabilities() warehouse.Capabilities {
	caps := warehouse.Capabilities{Kind: "clickhouse", ReadsLocalFiles: false, ExchangeTables: true, Cluster: w.opts.Cluster}
	if w.opts.Cluster == "" {
		return caps
	}
	caps.Replicated = true
	caps.Sharded = w.opts.ClusterMode == ClusterSharded
	caps.ReplicatedDatabase = w.opts.ReplicatedDatabase
	if caps.Sharded {
		caps.ShardingKey = w.opts.ShardingKey
		if caps.ShardingKey == "" {
			caps.ShardingKey = "rand()"
		}
	}
	return caps
}

// Version returns the server's version, e.g. "26.7.2.1".
func (w *Warehouse) Version(ctx context.Context) (string, error) {
	r, err := w.Query(ctx, "SELECT version()")
	if err != nil {
		return "", err
	}
	if len(r.Rows) != 1 || len(r.Rows[0]) != 1 {
		return "", fmt.Errorf("clickhouse version: unexpected result %v", r.Rows)
	}
	return r.String(0, 0), nil
}

// Addr is host:port, for messages.
func (w *Warehouse) Addr() string { return w.addr }

// Close closes every connection. It is safe to call more than once.
func (w *Warehouse) Close() error {
	w.closeOnce.Do(func() {
		if w.conn != nil {
			if err := w.conn.Close(); err != nil {
				w.closeErr = w.wrap("clickhouse close "+w.addr, err, "")
			}
		}
	})
	return w.closeErr
}

var errClosed = errors.New("clickhouse: warehouse is closed")
