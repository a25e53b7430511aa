// Package rawengine runs the native TCP protocol's statements on the embedded engine through
// chdb.Warehouse.Raw, giving each connection its own session: the database its USE chose and the
// settings its SET chose are kept here and applied to that connection's statements only, since
// the engine's pooled connections are shared by every client.
//
// It adapts tcp.Engine to what the engine offers today; a protocol-independent server core with
// sessions, users and streaming can replace it without touching package tcp.
package rawengine

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/dwmhq/dwm/engine/serve/tcp"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// Raw is what the engine offers: one statement with its output in a format, at once or streamed
// in chunks, and one INSERT fed with data as it arrives; *chdb.Warehouse implements it.
type Raw interface {
	Raw(ctx context.Context, q chdb.RawQuery) ([]byte, warehouse.Stats, error)
	RawStream(ctx context.Context, q chdb.RawQuery, out func([]byte) error) (warehouse.Stats, error)
	RawInsert(ctx context.Context, q chdb.RawQuery, next func() ([]byte, error)) (warehouse.Stats, error)
}

var _ Raw = (*chdb.Warehouse)(nil)

// LocalUser is the user name the local token authenticates (see Options.Token).
const LocalUser = "dwm_local"

// Options configure an Engine.
type Options struct {
	// User and Password are the credentials clients must send, as for the HTTP interface; an
	// empty User means "default". The password is compared in constant time.
	User, Password string
	// Token, when set, also admits LocalUser with this password, from this machine only (a
	// loopback address, or the server's own address): the credential `dwm serve` leaves in its
	// data directory for dwm commands run by the same local user (see package discovery).
	Token string
	// DisplayName is sent in the handshake; empty means "dwm".
	DisplayName string
}

// Engine is a tcp.Engine over Raw.
type Engine struct {
	raw  Raw
	opts Options

	infoOnce sync.Once
	info     tcp.ServerInfo
	infoErr  error
}

var _ tcp.Engine = (*Engine)(nil)

// New returns an Engine over raw.
func New(raw Raw, opts Options) *Engine {
	if opts.User == "" {
		opts.User = "default"
	}
	if opts.DisplayName == "" {
		opts.DisplayName = "dwm"
	}
	return &Engine{raw: raw, opts: opts}
}

// Info reports the engine's version and timezone, asked once.
func (e *Engine) Info(ctx context.Context) (tcp.ServerInfo, error) {
	e.infoOnce.Do(func() {
		out, _, err := e.raw.Raw(ctx, chdb.RawQuery{SQL: "SELECT version(), timezone()", Format: "TabSeparatedRaw"})
		if err != nil {
			e.infoErr = err
			return
		}
		f := strings.Split(strings.TrimSpace(string(out)), "\t")
		if len(f) != 2 {
			e.infoErr = fmt.Errorf("rawengine: unexpected version answer %q", out)
			return
		}
		v := strings.Split(f[0], ".")
		num := func(i int) uint64 {
			if i >= len(v) {
				return 0
			}
			n, _ := strconv.ParseUint(v[i], 10, 64)
			return n
		}
		e.info = tcp.ServerInfo{Name: "ClickHouse", Major: num(0), Minor: num(1), Patch: num(2), Timezone: f[1], DisplayName: e.opts.DisplayName}
	})
	return e.info, e.infoErr
}

// Login checks credentials as the HTTP interface does ("default" when none is given) and the
// client's database.
func (e *Engine) Login(ctx context.Context, l tcp.Login) (tcp.Session, error) {
	user := l.User
	if user == "" {
		user = "default"
	}
	if !e.authenticate(user, l.Password, l.Remote, l.Local) {
		return nil, &warehouse.QueryError{Code: codeAuthenticationFailed, Name: "AUTHENTICATION_FAILED",
			Message: user + ": Authentication failed: password is incorrect, or there is no user with such name."}
	}
	s := &session{e: e, db: l.Database, settings: map[string]string{}}
	if l.Database != "" {
		if err := s.check(ctx, l.Database, nil); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (e *Engine) authenticate(user, password string, remote, local net.Addr) bool {
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(e.opts.User)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(password), []byte(e.opts.Password)) == 1
	if userOK && passOK {
		return true
	}
	if e.opts.Token == "" || !sameMachine(remote, local) {
		return false
	}
	tokenUser := subtle.ConstantTimeCompare([]byte(user), []byte(LocalUser)) == 1
	tokenOK := subtle.ConstantTimeCompare([]byte(password), []byte(e.opts.Token)) == 1
	return tokenUser && tokenOK
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

// ClickHouse error codes raised here.
const (
	codeNotImplemented       = 48
	codeNoSuchColumn         = 16
	codeAuthenticationFailed = 516
	codeSyntaxError          = 62
	codeBadArguments         = 36
)

// describe returns the name and type of each row of a DESCRIBE statement's answer.
func (s *session) describe(ctx context.Context, sql string, settings map[string]string) ([][3]string, error) {
	out, _, err := s.e.raw.Raw(ctx, chdb.RawQuery{SQL: sql, Format: "JSONCompact", Database: s.db, Settings: settings})
	if err != nil {
		return nil, err
	}
	var ans struct {
		Data [][]string `json:"data"`
	}
	if err := json.Unmarshal(out, &ans); err != nil {
		return nil, fmt.Errorf("rawengine: %s: %w", sql, err)
	}
	rows := make([][3]string, 0, len(ans.Data))
	for _, r := range ans.Data {
		if len(r) < 3 {
			return nil, fmt.Errorf("rawengine: %s: short row %q", sql, r)
		}
		rows = append(rows, [3]string{r[0], r[1], r[2]})
	}
	return rows, nil
}
