package tcp_test

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// proxy forwards loopback connections to target and counts the bytes each way, so a test can
// see whether what crossed the wire was compressed.
type proxy struct {
	addr     string
	up, down atomic.Int64
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			wg.Add(2)
			pipe := func(dst, src net.Conn, n *atomic.Int64) {
				defer wg.Done()
				_, _ = io.Copy(counter{dst, n}, src)
				dst.Close()
				src.Close()
			}
			go pipe(s, c, &p.up)
			go pipe(c, s, &p.down)
		}
	}()
	return p
}

// counter counts bytes as they are written, so totals are current while a connection lasts.
type counter struct {
	w io.Writer
	n *atomic.Int64
}

func (c counter) Write(b []byte) (int, error) {
	k, err := c.w.Write(b)
	c.n.Add(int64(k))
	return k, err
}
