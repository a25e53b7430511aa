// Package core is the protocol-independent part of dwm serve: who may connect (users), what
// state a client keeps (sessions), what its SQL may reach (the sandbox), how much it may use
// (limits), and running one statement with its own settings, parameters, input and output.
// The HTTP front end (package serve) drives it, and a native-protocol front end does the same:
//
//	user, err := c.Authenticate(name, password)
//
//	// HTTP: one session per request, named by session_id or "" for one statement.
//	sess, err := c.Session(ctx, user, core.SessionOptions{ID: id, Timeout: t, Check: check})
//	defer sess.Release()
//	// Native TCP: one private session per client connection, for all its statements.
//	sess, err := c.Private(ctx, user)
//	defer sess.Close()
//
//	p, err := sess.Prepare(ctx, core.Statement{
//		Text: sql, Body: data,           // an INSERT's data follows its FORMAT clause in Body
//		DefaultFormat: "Native",          // when the SQL has no FORMAT clause
//		Settings: s, Params: params, Database: db, QueryID: id,
//	})
//	// p.Format, p.QueryID, p.HasInput are known now: send headers / column metadata
//	res, err := p.Run(ctx, out)         // the engine's output, streamed to out as it comes
//	// res.RowsRead, res.RowsWritten, res.Elapsed
//
// Output is exactly what ClickHouse writes for p.Format; Native output is libchdb's file layout
// (protocol revision 0, no block info), which a front end re-encodes for its client. Statements
// run one at a time per session. Errors are *warehouse.QueryError with ClickHouse's code and name,
// ready to send; a statement whose ctx ends is killed in the engine.
//
// Isolation is by construction: every session has an engine connection of its own (chdb.Conn),
// a one-statement session a fresh one closed after its statement, so settings, the current
// database and temporary tables never cross sessions, and query parameters are bound per call.
// Statement.Settings and Database last one statement even in a session (they are put back).
package core

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/dwmhq/dwm/engine/serve/auth"
	"github.com/dwmhq/dwm/engine/serve/sandbox"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// Engine opens engine connections; *chdb.Warehouse implements it.
type Engine interface {
	Connect(ctx context.Context) (*chdb.Conn, error)
}

var _ Engine = (*chdb.Warehouse)(nil)

// Limits bound what clients may use. Zero fields take the defaults in DefaultLimits.
type Limits struct {
	// MaxQueries is how many statements run at once in total; more wait up to QueueWait.
	MaxQueries int
	// MaxQueriesPerUser is how many statements one user runs at once; more are refused.
	MaxQueriesPerUser int
	// QueueWait is how long a statement waits for a free slot before it is refused.
	QueueWait time.Duration
	// MaxSessions is how many sessions may be open at once (each holds an engine connection).
	MaxSessions int
	// SessionTimeout is a session's idle timeout when the client gives none.
	SessionTimeout time.Duration
	// MaxSessionTimeout is the longest idle timeout a client may ask for.
	MaxSessionTimeout time.Duration
	// MaxQuerySize is how many bytes of statement text are read: all of a query, or an INSERT up
	// to its data.
	MaxQuerySize int
}

// DefaultLimits are the limits used for zero fields.
var DefaultLimits = Limits{
	MaxQueries:        64,
	MaxQueriesPerUser: 16,
	QueueWait:         10 * time.Second,
	MaxSessions:       256,
	SessionTimeout:    60 * time.Second,
	MaxSessionTimeout: time.Hour,
	MaxQuerySize:      1 << 20,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	pick := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	pickD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	pick(&l.MaxQueries, d.MaxQueries)
	pick(&l.MaxQueriesPerUser, d.MaxQueriesPerUser)
	pickD(&l.QueueWait, d.QueueWait)
	pick(&l.MaxSessions, d.MaxSessions)
	pickD(&l.SessionTimeout, d.SessionTimeout)
	pickD(&l.MaxSessionTimeout, d.MaxSessionTimeout)
	pick(&l.MaxQuerySize, d.MaxQuerySize)
	return l
}

// Options configure a Core.
type Options struct {
	// Users are who may connect; nil means one user "default" without a password.
	Users *auth.Users
	// Readonly makes every user read-only.
	Readonly bool
	// Sandbox is checked on every statement; the engine must have booted with sandbox.Config of
	// the same policy for the sandbox to be whole.
	Sandbox sandbox.Policy
	Limits  Limits
	// PIIColumns names the personal-data columns of a table ("db.name") that users with NoPII
	// may not read; nil means no table has any.
	PIIColumns func(table string) []string
	// LocalToken, when set, is the password of LocalUser (see AuthenticateLocal).
	LocalToken string
}

// LocalUser is the user the local token authenticates: dwm commands run by the serving user
// on the same machine, which reach a served warehouse through the server (package discovery
// hands them the token). No users file may name it.
const LocalUser = "dwm_local"

// Core serves one engine. It is safe for concurrent use.
type Core struct {
	eng    Engine
	opts   Options
	limits Limits
	slots  *slots

	mu         sync.Mutex
	sessions   map[sessionKey]*Session
	privateSeq uint64
	running    map[runningKey]context.CancelFunc // by user and query_id, for KILL QUERY
	closed     bool
	stop       chan struct{}
	reaped     chan struct{}
}

// New returns a Core over eng; Close stops it.
func New(eng Engine, opts Options) *Core {
	if opts.Users == nil {
		opts.Users = auth.Single("default", "")
	}
	l := opts.Limits.withDefaults()
	c := &Core{
		eng: eng, opts: opts, limits: l, slots: newSlots(l.MaxQueries, l.MaxQueriesPerUser),
		sessions: map[sessionKey]*Session{}, running: map[runningKey]context.CancelFunc{},
		stop: make(chan struct{}), reaped: make(chan struct{}),
	}
	go c.reap()
	return c
}

// Limits returns the limits in force, defaults filled in.
func (c *Core) Limits() Limits { return c.limits }

// Authenticate checks a user's credentials. The error is AUTHENTICATION_FAILED whatever was
// wrong, and never holds the password.
func (c *Core) Authenticate(name, password string) (auth.User, error) {
	if name == "" {
		name = "default"
	}
	if name == LocalUser {
		return auth.User{}, authFailed(name) // only AuthenticateLocal admits it
	}
	u, err := c.opts.Users.Authenticate(name, password)
	if err != nil {
		return auth.User{}, authFailed(name)
	}
	if c.opts.Readonly {
		u.Readonly = true
	}
	return u, nil
}

// AuthenticateLocal admits LocalUser with the local token. A front end calls it only for
// connections from this machine: the token is a file in the data directory, readable by the
// serving user alone, so it grants nothing that user's own access to the files does not; it is
// subject to the sandbox, the limits and --readonly like any user.
func (c *Core) AuthenticateLocal(token string) (auth.User, error) {
	if c.opts.LocalToken == "" || subtle.ConstantTimeCompare([]byte(token), []byte(c.opts.LocalToken)) != 1 {
		return auth.User{}, authFailed(LocalUser)
	}
	return auth.User{Name: LocalUser, Readonly: c.opts.Readonly}, nil
}

func authFailed(name string) error {
	return Errorf(CodeAuthenticationFailed, "%s: Authentication failed: password is incorrect, or there is no user with such name", name)
}

// Close closes every session and stops the idle-session reaper. Running statements finish
// first (their engine connections close when they end).
func (c *Core) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	sessions := c.sessions
	c.sessions = map[sessionKey]*Session{}
	c.mu.Unlock()
	close(c.stop)
	<-c.reaped
	for _, s := range sessions {
		s.close()
	}
}

// Status is a snapshot of what the Core holds, for tests and monitoring. Running counts the slots
// taken (a one-statement session takes its slot when it connects), Registered the statements
// holding a query_id, which they take just before they reach the engine (KILL QUERY finds these).
type Status struct {
	Sessions, Running, Waiting, Registered int
}

// Status reports open sessions and running, waiting and registered statements.
func (c *Core) Status() Status {
	c.mu.Lock()
	n, q := len(c.sessions), len(c.running)
	c.mu.Unlock()
	r, w := c.slots.counts()
	return Status{Sessions: n, Running: r, Waiting: w, Registered: q}
}

type runningKey struct{ user, queryID string }

// register records a running statement under its query_id, refusing a duplicate as ClickHouse
// does; the returned func forgets it.
func (c *Core) register(user, queryID string, cancel context.CancelFunc) (func(), error) {
	k := runningKey{user, queryID}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.running[k]; dup {
		return nil, Errorf(CodeQueryWithSameIDIsRunning, "Query with id = %s is already running.", queryID)
	}
	c.running[k] = cancel
	return func() {
		c.mu.Lock()
		delete(c.running, k)
		c.mu.Unlock()
	}, nil
}

// kill cancels user's statement with queryID; it reports whether one was running.
func (c *Core) kill(user, queryID string) bool {
	c.mu.Lock()
	cancel, ok := c.running[runningKey{user, queryID}]
	c.mu.Unlock()
	if ok {
		cancel()
	}
	return ok
}

// newQueryID makes a query_id for statements the client gave none.
func newQueryID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

var errClosed = errors.New("dwm serve is shutting down")
