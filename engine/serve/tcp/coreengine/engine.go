// Package coreengine runs the native TCP protocol (package tcp) on dwm serve's core (package
// core), so a native client meets exactly what an HTTP client meets: the same users and
// passwords, read-only users and --readonly, the sandbox, the statement limits and fair slots,
// and an engine connection of its own. Each TCP connection is one private core session: SET, USE
// and temporary tables last for the connection, settings and parameters sent with a query for
// that query.
package coreengine

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/serve/auth"
	"github.com/dwmhq/dwm/engine/serve/core"
	"github.com/dwmhq/dwm/engine/serve/tcp"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Options configure an Engine.
type Options struct {
	// DisplayName is sent in the handshake; empty means "dwm".
	DisplayName string
}

// Engine is a tcp.Engine over a core.
type Engine struct {
	core *core.Core
	wh   warehouse.Warehouse // asked the engine's version and timezone, once
	opts Options

	infoOnce sync.Once
	info     tcp.ServerInfo
	infoErr  error
}

var _ tcp.Engine = (*Engine)(nil)

// New returns an Engine over c; wh is the same engine's warehouse, for the handshake's version.
func New(c *core.Core, wh warehouse.Warehouse, opts Options) *Engine {
	if opts.DisplayName == "" {
		opts.DisplayName = "dwm"
	}
	return &Engine{core: c, wh: wh, opts: opts}
}

// Info reports the engine's version and timezone, asked once.
func (e *Engine) Info(ctx context.Context) (tcp.ServerInfo, error) {
	e.infoOnce.Do(func() {
		r, err := e.wh.Query(ctx, "SELECT version(), timezone()")
		if err != nil {
			e.infoErr = err
			return
		}
		if len(r.Rows) != 1 || len(r.Rows[0]) != 2 {
			e.infoErr = fmt.Errorf("coreengine: unexpected version answer %v", r.Rows)
			return
		}
		v := strings.Split(r.String(0, 0), ".")
		num := func(i int) uint64 {
			if i >= len(v) {
				return 0
			}
			n, _ := strconv.ParseUint(v[i], 10, 64)
			return n
		}
		e.info = tcp.ServerInfo{Name: "ClickHouse", Major: num(0), Minor: num(1), Patch: num(2), Timezone: r.String(0, 1), DisplayName: e.opts.DisplayName}
	})
	return e.info, e.infoErr
}

// Login checks credentials with the core ("default" when none is given; the local user only
// from this machine), opens the connection's session and makes the client's database current.
func (e *Engine) Login(ctx context.Context, l tcp.Login) (tcp.Session, error) {
	user, err := e.authenticate(l)
	if err != nil {
		return nil, err
	}
	cs, err := e.core.Private(ctx, user)
	if err != nil {
		return nil, err
	}
	s := &session{cs: cs}
	if l.Database != "" {
		if _, err := s.run(ctx, core.Statement{Text: "USE " + manifest.QuoteIdent(l.Database)}, nil); err != nil {
			cs.Close()
			return nil, err
		}
	}
	return s, nil
}

func (e *Engine) authenticate(l tcp.Login) (auth.User, error) {
	if l.User == core.LocalUser && sameMachine(l.Remote, l.Local) {
		return e.core.AuthenticateLocal(l.Password)
	}
	return e.core.Authenticate(l.User, l.Password) // refuses the local user from elsewhere
}

// sameMachine reports whether a connection comes from this machine: over loopback, or to the
// server's own address from that same address.
func sameMachine(remote, local net.Addr) bool {
	r, ok := remote.(*net.TCPAddr)
	if !ok {
		return false
	}
	l, ok := local.(*net.TCPAddr)
	return r.IP.IsLoopback() || ok && r.IP.Equal(l.IP)
}
