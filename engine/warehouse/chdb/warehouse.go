package chdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// DefaultConns is the pool size when Options.Conns is zero: enough for a runner's parallel
// models on a small machine without multiplying per-connection memory.
const DefaultConns = 4

// Options configure Open. Only Path is required.
type Options struct {
	// Path is the data directory; it is created if missing.
	Path string
	// Database, when set, is created if missing and made current on every connection, so
	// unqualified names resolve in it. Empty keeps chDB's "default".
	Database string
	// LibraryPath is libchdb.so to load. When empty, DWM_LIBCHDB, then the cache `dwm engine
	// install` fills, then /usr/local/lib/libchdb.so are tried (see LibraryCandidates).
	LibraryPath string
	// Conns is how many statements may run at once (default DefaultConns). libchdb serialises
	// statements on one connection, so parallel models need one connection each.
	Conns int
	// Threads caps each statement's max_threads; 0 keeps ClickHouse's default (all cores).
	Threads int
	// QueryTimeout, when positive, sets max_execution_time so the engine itself stops a
	// statement that runs too long, even if the caller's context has no deadline.
	QueryTimeout time.Duration
	// Settings are extra ClickHouse settings applied to every connection with SET, so a bad name
	// or value fails Open with ClickHouse's own message.
	Settings map[string]string
	// ConfigFile, when set, is a ClickHouse configuration file the engine boots with (server
	// settings, users and their grants). dwm serve uses it to run clients' SQL as a user without
	// access to the machine's files and network; see engine/serve/sandbox.
	ConfigFile string
}

// Warehouse is an open embedded ClickHouse data directory. It is safe for concurrent use.
type Warehouse struct {
	lib  *lib
	dir  string
	lock *dirLock

	// ctl is outside the pool: KILL QUERY must run even when every pooled connection is busy,
	// and holding it keeps the engine booted while pooled connections come and go.
	ctl   *conn
	ctlMu sync.Mutex

	pool  chan *conn
	conns []*conn
	done  chan struct{} // closed by Close; takers stop waiting for connections

	tagPrefix string // distinguishes this Warehouse's query tags, see run
	seq       atomic.Uint64

	progressEvery time.Duration // see progressEvery; tests shorten it

	setup    []string // what every connection runs once: Options' settings and database
	database string   // Options.Database, current on every connection until a USE
	connsMu  sync.Mutex
	ownConns map[*Conn]struct{} // open Conns, closed by Close
	closed   bool
	fifoOnce sync.Once
	fifoDir  string // private directory for QueryStream's pipes, made on first use
	fifoErr  error

	closeOnce sync.Once
	closeErr  error
}

var _ warehouse.Warehouse = (*Warehouse)(nil)

// Open opens (creating if needed) the data directory opts.Path. It fails with an error wrapping
// warehouse.ErrLibraryNotFound when libchdb is missing and warehouse.ErrLocked when another
// process, or another Warehouse in this one, has the directory open.
func Open(ctx context.Context, opts Options) (*Warehouse, error) {
	if opts.Path == "" {
		return nil, errors.New("chdb open: no data directory given")
	}
	dir, err := filepath.Abs(opts.Path)
	if err != nil {
		return nil, fmt.Errorf("chdb open %s: %w", opts.Path, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("chdb open %s: %w", dir, err)
	}
	n := opts.Conns
	if n <= 0 {
		n = DefaultConns
	}
	setup, err := connSetup(opts)
	if err != nil {
		return nil, fmt.Errorf("chdb open %s: %w", dir, err)
	}
	l, err := theEngine.acquire(opts.LibraryPath, dir, os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("chdb open %s: %w", dir, err)
	}
	w := &Warehouse{
		lib:           l,
		dir:           dir,
		pool:          make(chan *conn, n),
		done:          make(chan struct{}),
		tagPrefix:     "dwm:" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36),
		progressEvery: progressEvery,
	}
	if err := w.open(ctx, n, opts.Database, opts.ConfigFile, setup); err != nil {
		w.shutdown()
		return nil, fmt.Errorf("chdb open %s: %w", dir, err)
	}
	return w, nil
}

// open takes the directory lock and connects; on error the caller calls shutdown.
func (w *Warehouse) open(ctx context.Context, n int, database, configFile string, setup []string) error {
	lock, err := lockDir(w.dir)
	if err != nil {
		return err
	}
	w.lock = lock
	var boot []string
	if configFile != "" {
		// Server-level options count only on the connection that boots the engine (chdb.h).
		boot = append(boot, "--config-file="+configFile)
	}
	if w.ctl, err = connect(w.lib, w.dir, boot...); err != nil {
		return err
	}
	if database != "" {
		if _, err := w.ctl.exec("CREATE DATABASE IF NOT EXISTS " + quoteIdent(database)); err != nil {
			return fmt.Errorf("create database %s: %w", database, err)
		}
		setup = append(setup, "USE "+quoteIdent(database))
	}
	w.database = database
	w.setup = setup
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := connect(w.lib, w.dir)
		if err != nil {
			return err
		}
		w.conns = append(w.conns, c)
		for _, stmt := range setup {
			if _, err := c.exec(stmt); err != nil {
				return fmt.Errorf("connection setup: %w", err)
			}
		}
		w.pool <- c
	}
	return nil
}

// Capabilities reports what chDB supports: file() sees this process's files, and EXCHANGE TABLES
// works in both chDB's default database and the Atomic databases CREATE DATABASE makes.
func (w *Warehouse) Capabilities() warehouse.Capabilities {
	return warehouse.Capabilities{Kind: "chdb", ReadsLocalFiles: true, ExchangeTables: true}
}

// Version returns the engine's version, e.g. "26.7.2.1".
func (w *Warehouse) Version(ctx context.Context) (string, error) {
	r, err := w.Query(ctx, "SELECT version()")
	if err != nil {
		return "", err
	}
	if len(r.Rows) != 1 || len(r.Rows[0]) != 1 {
		return "", fmt.Errorf("chdb version: unexpected result %v", r.Rows)
	}
	return r.String(0, 0), nil
}

// Dir is the absolute data directory.
func (w *Warehouse) Dir() string { return w.dir }

// Close waits for running statements, closes every connection and releases the directory.
// The same directory, or another one, can be opened again afterwards in this process.
func (w *Warehouse) Close() error {
	w.closeOnce.Do(func() {
		close(w.done)
		for range w.conns {
			<-w.pool // in-flight statements hand their connection back when they finish
		}
		w.closeOwnConns()
		w.closeErr = w.shutdown()
		if w.fifoDir != "" {
			_ = os.RemoveAll(w.fifoDir)
		}
	})
	return w.closeErr
}

// shutdown closes connections (the control one last, since closing the last connection stops
// the engine), drops the lock and frees the directory for the next Open.
func (w *Warehouse) shutdown() error {
	for _, c := range w.conns {
		c.close()
	}
	w.conns = nil
	w.ctlMu.Lock()
	if w.ctl != nil {
		w.ctl.close()
		w.ctl = nil
	}
	w.ctlMu.Unlock()
	err := w.lock.unlock()
	theEngine.release(w.dir)
	if err != nil {
		return fmt.Errorf("chdb close %s: %w", w.dir, err)
	}
	return nil
}

// connSetup turns Options into the statement every pooled connection runs once: one SET of all
// the settings, as each statement costs a connection about a millisecond and dwm serve connects
// once per request (ClickHouse applies a SET's list in order and names a bad setting or value
// in its error).
func connSetup(opts Options) ([]string, error) {
	settings := map[string]string{}
	if opts.Threads > 0 {
		settings["max_threads"] = strconv.Itoa(opts.Threads)
	}
	if opts.QueryTimeout > 0 {
		settings["max_execution_time"] = strconv.FormatFloat(opts.QueryTimeout.Seconds(), 'f', -1, 64)
	}
	// INSERT ... SELECT writes with one thread unless max_insert_threads says otherwise: loading
	// a CSV file into a sorted MergeTree ran at half speed on 2 cores. Writing with as many
	// threads as reading keeps every core busy; Settings may still override it.
	insertThreads := opts.Threads
	if insertThreads <= 0 {
		insertThreads = runtime.NumCPU()
	}
	settings["max_insert_threads"] = strconv.Itoa(insertThreads)
	// file() maps its input by default, and every mapped page of a CSV being loaded counts in this
	// process's resident memory: a 1.1 GB weekly event file added 1 GB to the peak RSS of the
	// whole build (5.5 GB at 1M users), against none with pread and no slower (issue 11, goal 5;
	// docs/benchmarks-warehouse.md). Settings may still override it.
	settings["storage_file_read_method"] = "'pread'"
	for k, v := range opts.Settings {
		if !settingNameRe.MatchString(k) {
			return nil, fmt.Errorf("invalid setting name %q", k)
		}
		settings[k] = quoteString(v)
	}
	var set []string
	for _, k := range sortedKeys(settings) {
		set = append(set, k+" = "+settings[k])
	}
	return []string{"SET " + strings.Join(set, ", ")}, nil
}
