package core

import (
	"context"
	"sync"
	"time"

	"github.com/dwmhq/dwm/engine/serve/auth"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// SessionOptions name the session a request runs in, as ClickHouse's session_id,
// session_timeout and session_check parameters do.
type SessionOptions struct {
	// ID names a session that outlives the request; "" runs one statement on a fresh connection.
	ID string
	// Timeout is the session's idle timeout from now on; 0 keeps it (or the default for a new one).
	Timeout time.Duration
	// Check requires the session to exist already.
	Check bool
}

// sessionKey names a session: an HTTP session by its user and session_id, a private one by a
// number no client can send.
type sessionKey struct {
	user, id string
	private  uint64
}

// Session is a client's state on the engine: its own connection, with the settings, current
// database and temporary tables its statements leave there. A named session serves one request
// at a time and closes after its idle timeout; a one-statement session closes at Release.
type Session struct {
	core *Core
	user auth.User
	key  sessionKey // zero for a one-statement session
	conn *chdb.Conn

	slot     func()     // a one-statement session's statement slot, freed at Release
	busy     sync.Mutex // held by the request using the session
	timeout  time.Duration
	lastUsed time.Time // guarded by core.mu
	inUse    bool      // guarded by core.mu
	closing  bool      // guarded by core.mu: close at Release (close_session, or a broken state)
	private  bool      // see Private: never reaped, closed by Close
}

// Session returns the session a request runs in, creating it (with an engine connection) when
// needed, and holds it for the request until Release. A named session already serving another
// request answers SESSION_IS_LOCKED.
func (c *Core) Session(ctx context.Context, user auth.User, o SessionOptions) (*Session, error) {
	if o.Timeout > c.limits.MaxSessionTimeout || o.Timeout < 0 {
		return nil, Errorf(CodeInvalidSessionTimeout, "Session timeout %v is out of range (maximum %v).", o.Timeout, c.limits.MaxSessionTimeout)
	}
	if o.ID == "" {
		if o.Check {
			return nil, Errorf(CodeSessionNotFound, "Session check was requested without a session_id.")
		}
		return c.newSession(ctx, user)
	}
	k := sessionKey{user: user.Name, id: o.ID}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errClosed
	}
	s, ok := c.sessions[k]
	if ok {
		if s.inUse {
			c.mu.Unlock()
			return nil, Errorf(CodeSessionIsLocked, "Session %s is locked by a concurrent client.", o.ID)
		}
		s.inUse = true
		if o.Timeout > 0 {
			s.timeout = o.Timeout
		}
		c.mu.Unlock()
		s.busy.Lock()
		return s, nil
	}
	if o.Check {
		c.mu.Unlock()
		return nil, Errorf(CodeSessionNotFound, "Session %s not found.", o.ID)
	}
	if len(c.sessions) >= c.limits.MaxSessions {
		c.mu.Unlock()
		return nil, Errorf(CodeUserSessionLimitExceeded, "Too many open sessions (maximum %d); close some with close_session=1 or let them time out.", c.limits.MaxSessions)
	}
	// Reserve the name while connecting, so a concurrent request for it waits its turn.
	s = &Session{core: c, user: user, key: k, inUse: true}
	s.busy.Lock()
	c.sessions[k] = s
	c.mu.Unlock()
	conn, err := c.openConn(ctx, user)
	if err != nil {
		c.mu.Lock()
		delete(c.sessions, k)
		c.mu.Unlock()
		s.busy.Unlock()
		return nil, err
	}
	s.conn = conn
	s.timeout = c.limits.SessionTimeout
	if o.Timeout > 0 {
		s.timeout = o.Timeout
	}
	return s, nil
}

// newSession starts a one-statement session. It connects once its statement is known (see
// connect), so a KILL needs no connection and no slot.
func (c *Core) newSession(ctx context.Context, user auth.User) (*Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &Session{core: c, user: user, inUse: true}
	s.busy.Lock()
	return s, nil
}

// connect gives a one-statement session its statement slot and then its fresh connection, so
// requests without a session never hold more engine connections than there are slots.
func (s *Session) connect(ctx context.Context) error {
	if s.conn != nil {
		return nil
	}
	c := s.core
	release, err := c.slots.acquire(ctx, s.user.Name, c.limits.QueueWait)
	if err != nil {
		return err
	}
	conn, err := c.openConn(ctx, s.user)
	if err != nil {
		release()
		return err
	}
	s.conn, s.slot = conn, release
	return nil
}

// openConn connects, making the connection read-only for a read-only user.
func (c *Core) openConn(ctx context.Context, user auth.User) (*chdb.Conn, error) {
	conn, err := c.eng.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if user.Readonly || user.NoPII {
		// readonly=2: reads and settings changes, no writes; it cannot be lowered again.
		if _, err := conn.Exec(ctx, "SET readonly = 2"); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

// Private opens a session for a connection-oriented protocol (the native TCP protocol keeps
// state per connection): like a named session it keeps SET, USE and temporary tables across
// statements and counts against MaxSessions, but it has no name, never times out, and serves
// its connection's statements one after another until Close.
func (c *Core) Private(ctx context.Context, user auth.User) (*Session, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errClosed
	}
	if len(c.sessions) >= c.limits.MaxSessions {
		c.mu.Unlock()
		return nil, Errorf(CodeUserSessionLimitExceeded, "Too many open sessions (maximum %d)", c.limits.MaxSessions)
	}
	c.privateSeq++
	k := sessionKey{user: user.Name, private: c.privateSeq}
	s := &Session{core: c, user: user, key: k, inUse: true, private: true}
	c.sessions[k] = s
	c.mu.Unlock()
	conn, err := c.openConn(ctx, user)
	if err != nil {
		c.mu.Lock()
		delete(c.sessions, k)
		c.mu.Unlock()
		return nil, err
	}
	s.conn = conn
	return s, nil
}

// Close ends a private session (see Private) and its engine connection.
func (s *Session) Close() {
	c := s.core
	c.mu.Lock()
	if c.sessions[s.key] == s {
		delete(c.sessions, s.key)
	}
	c.mu.Unlock()
	s.close()
}

// User is who the session belongs to.
func (s *Session) User() auth.User { return s.user }

// Named reports whether the session outlives the request: a named or a private session.
func (s *Session) Named() bool { return s.key != (sessionKey{}) }

// CloseAfter marks the session to be closed at Release (ClickHouse's close_session=1).
func (s *Session) CloseAfter() {
	s.core.mu.Lock()
	s.closing = true
	s.core.mu.Unlock()
}

// Release ends the request's hold on the session. A one-statement session closes; a named
// session stays open for its idle timeout unless CloseAfter was called. A private session ignores
// it: Close ends it.
func (s *Session) Release() {
	c := s.core
	if s.private {
		return
	}
	if !s.Named() {
		s.busy.Unlock()
		s.close()
		if s.slot != nil {
			s.slot()
		}
		return
	}
	c.mu.Lock()
	s.inUse = false
	s.lastUsed = time.Now()
	closing := s.closing || c.closed
	if closing && c.sessions[s.key] == s {
		delete(c.sessions, s.key)
	}
	c.mu.Unlock()
	s.busy.Unlock()
	if closing {
		s.close()
	}
}

func (s *Session) close() {
	s.busy.Lock()
	defer s.busy.Unlock()
	if s.conn != nil {
		_ = s.conn.Close()
	}
}

// reap closes named sessions idle past their timeout.
func (c *Core) reap() {
	defer close(c.reaped)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			var expired []*Session
			c.mu.Lock()
			for k, s := range c.sessions {
				if !s.private && !s.inUse && now.Sub(s.lastUsed) > s.timeout {
					delete(c.sessions, k)
					expired = append(expired, s)
				}
			}
			c.mu.Unlock()
			for _, s := range expired {
				s.close()
			}
		}
	}
}
