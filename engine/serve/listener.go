package serve

import (
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/dwmhq/dwm/engine/serve/core"
)

// limitListener accepts at most max connections at once. One more is answered at once with
// ClickHouse's HTTP_CONNECTION_LIMIT_REACHED and closed, so a client learns why instead of
// waiting in the kernel's backlog.
type limitListener struct {
	net.Listener
	max int

	mu   sync.Mutex
	open int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		if l.open >= l.max {
			l.mu.Unlock()
			go refuse(c, l.max)
			continue
		}
		l.open++
		l.mu.Unlock()
		return &countedConn{Conn: c, l: l}, nil
	}
}

func refuse(c net.Conn, max int) {
	defer c.Close()
	qe := core.Errorf(core.CodeHTTPConnectionLimit, "The server already has %d connections (dwm serve --max-connections)", max)
	body := exceptionText(qe)
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\nX-ClickHouse-Exception-Code: 762\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body))
}

// countedConn gives its slot back once, when closed.
type countedConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.open--
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
