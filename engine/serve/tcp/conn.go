package tcp

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/ch-go/proto"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// conn is one client connection: a handshake, then queries one at a time.
type conn struct {
	srv     *Server
	nc      net.Conn
	br      *bufio.Reader
	bw      *bufio.Writer
	pr      packetReader
	acct    account
	frames  frameReader
	fw      frameWriter
	rev     uint64 // negotiated protocol revision
	sess    Session
	stopped <-chan struct{} // closed when the server shuts down
	out     []byte          // the packet being written, reused
	body    []byte          // the block being sent, reused

	// A goroutine reads the next packet code when asked, so a running statement can notice a
	// Cancel packet or a disconnect while the connection otherwise only writes.
	want  chan struct{}
	codes chan codeRead
	asked bool

	mu        sync.Mutex
	cancel    context.CancelFunc // of the running statement
	abortOnce sync.Once
}

type codeRead struct {
	code uint64
	err  error
}

func (s *Server) newConn(nc net.Conn, stopped <-chan struct{}) *conn {
	c := &conn{srv: s, nc: nc, br: bufio.NewReaderSize(nc, 64<<10), bw: bufio.NewWriterSize(nc, 64<<10),
		acct: account{b: s.budget}, stopped: stopped, want: make(chan struct{}), codes: make(chan codeRead, 1)}
	c.pr.r = c.br
	c.frames = frameReader{src: c.br, max: s.opts.MaxBlockBytes, acct: &c.acct}
	return c
}

// serve runs the connection until the client leaves, breaks the protocol, or the server stops.
func (c *conn) serve(ctx context.Context) {
	defer c.close()
	if err := c.handshake(ctx); err != nil {
		c.logf("handshake: %v", err)
		return
	}
	go c.readCodes()
	for {
		r, ok := c.nextCode(c.srv.opts.IdleTimeout)
		if !ok || r.err != nil {
			return // shutdown, idle timeout or the client left
		}
		var err error
		switch r.code {
		case clientPing:
			err = c.send(append(c.out[:0], serverPong))
		case clientQuery:
			err = c.query(ctx)
		case clientCancel:
			// A cancel that arrived after its statement finished: nothing to stop.
		case clientData:
			err = c.fatal(protocolError("data packet without a query"))
		default:
			err = c.fatal(protocolError("unexpected packet %d", r.code))
		}
		if err != nil {
			c.logf("%v", err)
			return
		}
	}
}

// readCodes reads one packet code each time it is asked.
func (c *conn) readCodes() {
	for range c.want {
		code, err := binary.ReadUvarint(c.br)
		c.codes <- codeRead{code, err}
		if err != nil {
			return
		}
	}
}

// nextCode waits for the next packet code, for at most timeout (0: no limit). ok is false when
// the server is shutting down.
func (c *conn) nextCode(timeout time.Duration) (codeRead, bool) {
	c.ask(timeout)
	select {
	case r := <-c.codes:
		c.asked = false
		return r, true
	case <-c.stopped:
		return codeRead{}, false
	}
}

// ask lets the code reader read the next packet code, with a deadline of timeout from now.
func (c *conn) ask(timeout time.Duration) {
	var deadline time.Time
	if timeout > 0 {
		deadline = time.Now().Add(timeout)
	}
	_ = c.nc.SetReadDeadline(deadline) // also applies to a read already waiting
	if !c.asked {
		c.asked = true
		c.want <- struct{}{}
	}
}

// handshake reads the client's hello, logs it in and answers with the server's hello.
func (c *conn) handshake(ctx context.Context) error {
	_ = c.nc.SetDeadline(time.Now().Add(c.srv.opts.HandshakeTimeout))
	defer c.nc.SetDeadline(time.Time{})
	code, err := binary.ReadUvarint(c.br)
	if err != nil {
		return err
	}
	if code != clientHello {
		if code == 'G' || code == 'P' || code == 'H' { // an HTTP request on the wrong port
			_, _ = c.nc.Write([]byte("HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n" +
				"This is dwm serve's native TCP port, for clickhouse-client and native drivers; use the HTTP port.\n"))
			return fmt.Errorf("an HTTP request on the TCP port")
		}
		return c.fatal(protocolError("expected a hello, got packet %d", code))
	}
	h := c.pr.hello()
	if c.pr.err != nil {
		return c.fatal(c.pr.err)
	}
	if h.revision < minRevision {
		return c.fatal(notImplemented("client protocol revision %d, older than %d; upgrade the client", h.revision, minRevision))
	}
	c.rev = min(h.revision, Revision)
	if strings.HasPrefix(h.user, " ") { // inter-server secret, SSH key or JWT markers
		return c.fatal(&warehouse.QueryError{Code: codeAuthenticationFailed, Name: "AUTHENTICATION_FAILED",
			Message: "dwm serve accepts only user and password authentication."})
	}
	info, err := c.srv.eng.Info(ctx)
	if err != nil {
		return c.fatal(err)
	}
	sess, err := c.srv.eng.Login(ctx, Login{User: h.user, Password: h.passw, Database: h.database, Remote: c.nc.RemoteAddr(), Local: c.nc.LocalAddr(),
		Client: fmt.Sprintf("%s %d.%d", h.client, h.major, h.minor)})
	if err != nil {
		return c.fatal(err)
	}
	c.sess = sess
	buf := proto.Buffer{Buf: c.out[:0]}
	hello := proto.ServerHello{Name: info.Name, Major: int(info.Major), Minor: int(info.Minor), Revision: Revision,
		Timezone: info.Timezone, DisplayName: info.DisplayName, Patch: int(info.Patch)}
	hello.EncodeAware(&buf, int(c.rev))
	if err := c.send(buf.Buf); err != nil {
		return err
	}
	if c.rev >= revAddendum {
		c.pr.str("quota key", maxName)
	}
	return c.pr.err
}

// send writes a packet and flushes, within SendTimeout.
func (c *conn) send(b []byte) error {
	c.out = b
	if err := c.write(b); err != nil {
		return err
	}
	return c.flush()
}

func (c *conn) write(b []byte) error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.opts.SendTimeout))
	_, err := c.bw.Write(b)
	return err
}

func (c *conn) flush() error {
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.opts.SendTimeout))
	return c.bw.Flush()
}

// fail sends err as an exception; the connection stays usable.
func (c *conn) fail(err error, queryID string) error {
	e := toException(err)
	c.logf("query_id=%s: code %d (%s)", queryID, e.code, e.name)
	return c.send(exceptionPacket(c.out[:0], e))
}

// fatal sends err as an exception and returns it: the connection must close.
func (c *conn) fatal(err error) error {
	_ = c.send(exceptionPacket(c.out[:0], toException(err)))
	return err
}

func (c *conn) logf(format string, args ...any) {
	fmt.Fprintf(c.srv.opts.Log, "dwm serve: tcp %s: %s\n", c.nc.RemoteAddr(), fmt.Sprintf(format, args...))
}

// setCancel records the running statement's cancel function, for abort.
func (c *conn) setCancel(cancel context.CancelFunc) {
	c.mu.Lock()
	c.cancel = cancel
	c.mu.Unlock()
}

// abort cancels the running statement and closes the socket, for a shutdown past its grace.
func (c *conn) abort() {
	c.abortOnce.Do(func() {
		c.mu.Lock()
		if c.cancel != nil {
			c.cancel()
		}
		c.mu.Unlock()
		_ = c.nc.Close()
	})
}

func (c *conn) close() {
	_ = c.nc.Close()
	close(c.want) // a code reader blocked on the socket ends with the close above
	if c.sess != nil {
		if err := c.sess.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			c.logf("close session: %v", err)
		}
	}
	c.frames.close()
	c.acct.release()
}
