// Package tcp answers ClickHouse's native TCP protocol (the one on port 9000) on top of an Engine,
// so clickhouse-go's default transport, clickhouse-driver, clickhouse-client and BI connectors can
// use a dwm warehouse. ClickHouse runs every statement; this package speaks the protocol:
// handshake, queries with settings and parameters, results as Native blocks, inserts that stream
// blocks, progress, exceptions, cancel, and LZ4/ZSTD compressed blocks with CityHash128 checksums.
//
// Every client is treated as hostile: strings, blocks and compressed frames are bounded before
// they are read, buffered client data is charged to a server-wide budget, and every wait on a
// client has a deadline.
package tcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Options configure a Server; zero values take the defaults in brackets.
type Options struct {
	// MaxConnections bounds open connections [64]; more are answered with an exception.
	MaxConnections int
	// MaxQueryBytes bounds a query's text [16 MiB].
	MaxQueryBytes int
	// MaxBlockBytes bounds one data block a client sends, uncompressed, and one compressed frame
	// [256 MiB].
	MaxBlockBytes int
	// MaxBufferBytes bounds the client data all connections together hold in memory [1 GiB].
	MaxBufferBytes int64
	// HandshakeTimeout bounds the hello [10 s]; IdleTimeout the wait for a connection's next
	// query [1 h, ClickHouse's idle_connection_timeout]; ReceiveTimeout and SendTimeout each
	// read and write within a query [5 min, ClickHouse's receive_timeout and send_timeout].
	HandshakeTimeout, IdleTimeout, ReceiveTimeout, SendTimeout time.Duration
	// ProgressInterval is how often a running statement sends a progress packet [5 s], which
	// keeps clients with read timeouts waiting for long statements.
	ProgressInterval time.Duration
	// ShutdownGrace is how long Serve lets running statements finish after its context ends [10 s].
	ShutdownGrace time.Duration
	// Log receives one line per failed statement or connection (never credentials or SQL).
	Log io.Writer
}

func (o *Options) defaults() {
	setDefault(&o.MaxConnections, 64)
	setDefault(&o.MaxQueryBytes, 16<<20)
	setDefault(&o.MaxBlockBytes, 256<<20)
	setDefault(&o.MaxBufferBytes, 1<<30)
	setDefault(&o.HandshakeTimeout, 10*time.Second)
	setDefault(&o.IdleTimeout, time.Hour)
	setDefault(&o.ReceiveTimeout, 5*time.Minute)
	setDefault(&o.SendTimeout, 5*time.Minute)
	setDefault(&o.ProgressInterval, 5*time.Second)
	setDefault(&o.ShutdownGrace, 10*time.Second)
	if o.Log == nil {
		o.Log = io.Discard
	}
}

func setDefault[T int | int64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Server answers the native protocol for one Engine.
type Server struct {
	eng    Engine
	opts   Options
	budget *budget
}

// New returns a Server over eng.
func New(eng Engine, opts Options) *Server {
	opts.defaults()
	return &Server{eng: eng, opts: opts, budget: &budget{max: opts.MaxBufferBytes}}
}

// Serve answers connections on ln until ctx ends, then stops accepting, closes idle
// connections, lets running statements finish for up to ShutdownGrace, and returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		conns   = map[*conn]bool{}
		slots   = make(chan struct{}, s.opts.MaxConnections)
		stopped = make(chan struct{})
	)
	go func() {
		<-ctx.Done()
		close(stopped)
		ln.Close()
	}()
	var acceptErr error
	for {
		nc, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(50 * time.Millisecond) // out of file descriptors: back off, keep serving
				continue
			}
			if ctx.Err() == nil {
				acceptErr = fmt.Errorf("serve %s: %w", ln.Addr(), err)
			}
			break
		}
		select {
		case slots <- struct{}{}:
		default:
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.refuse(nc)
			}()
			continue
		}
		c := s.newConn(nc, stopped)
		mu.Lock()
		conns[c] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.serve(context.WithoutCancel(ctx))
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			<-slots
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(s.opts.ShutdownGrace):
		mu.Lock()
		for c := range conns {
			c.abort() // statements still running after the grace period are cancelled
		}
		mu.Unlock()
		<-done
	}
	return acceptErr
}

// Buffered reports how many bytes of client data connections hold in memory right now.
func (s *Server) Buffered() int64 { return s.budget.inUse() }

// refuse answers a connection over MaxConnections with an exception, which clients report as
// the reason their connect failed.
func (s *Server) refuse(nc net.Conn) {
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(s.opts.HandshakeTimeout))
	fmt.Fprintf(s.opts.Log, "dwm serve: tcp %s: refused, %d connections are open\n", nc.RemoteAddr(), s.opts.MaxConnections)
	b := exceptionPacket(nil, &exception{code: codeTooManyConnections, name: "TOO_MANY_SIMULTANEOUS_QUERIES",
		message: fmt.Sprintf("dwm serve: too many connections (the limit is %d); try again later", s.opts.MaxConnections)})
	_, _ = nc.Write(b)
}
