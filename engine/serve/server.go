// Package serve answers ClickHouse's HTTP interface on top of the embedded engine, so curl,
// clickhouse-client's HTTP mode, BI tools and clickhouse-go clients (Protocol: HTTP) can use a
// laptop warehouse, and so dwm's server target is tested against a real protocol endpoint.
// ClickHouse itself runs every statement; this package only speaks the protocol.
package serve

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// Engine runs one statement and returns its output in a format; *chdb.Warehouse implements it.
type Engine interface {
	Raw(ctx context.Context, q chdb.RawQuery) ([]byte, warehouse.Stats, error)
}

var _ Engine = (*chdb.Warehouse)(nil)

// Options configure a Server.
type Options struct {
	// User is the only user name accepted; empty means "default", as in ClickHouse.
	User string
	// Password is required from clients when set. It is compared in constant time and never
	// written to a response or a log line.
	Password string
	// DisplayName answers X-ClickHouse-Server-Display-Name; empty means "dwm".
	DisplayName string
	// Log receives one line per failed request (never credentials or SQL); nil discards them.
	Log io.Writer
}

// Server is an http.Handler for ClickHouse's HTTP interface.
type Server struct {
	eng  Engine
	opts Options
	seq  atomic.Uint64
}

// New returns a Server over eng.
func New(eng Engine, opts Options) *Server {
	if opts.User == "" {
		opts.User = "default"
	}
	if opts.DisplayName == "" {
		opts.DisplayName = "dwm"
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	return &Server{eng: eng, opts: opts}
}

// shutdownGrace bounds how long Serve waits for running statements after ctx ends.
const shutdownGrace = 10 * time.Second

// Serve answers requests on ln until ctx ends, then stops accepting, lets running requests
// finish for up to shutdownGrace, and returns nil. Any other failure is returned.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		_ = hs.Close() // statements still running after the grace period are abandoned
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	return nil
}

// ServeHTTP routes ClickHouse's endpoints: /ping and the query handler at /.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-ClickHouse-Server-Display-Name", s.opts.DisplayName)
	switch r.URL.Path {
	case "/ping", "/replicas_status":
		io.WriteString(w, "Ok.\n")
		return
	case "/":
	default:
		s.fail(w, r, &warehouse.QueryError{Code: codeUnknownEndpoint, Name: "UNKNOWN_ENDPOINT",
			Message: "There is no handle " + r.URL.Path + "."}, "")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		s.fail(w, r, &warehouse.QueryError{Code: codeBadArguments, Name: "BAD_ARGUMENTS",
			Message: "HTTP method " + r.Method + " is not supported."}, "")
		return
	}
	if err := s.authenticate(r); err != nil {
		s.fail(w, r, err, "")
		return
	}
	req, err := parseRequest(r)
	if err != nil {
		s.fail(w, r, err, "")
		return
	}
	if req.ping {
		io.WriteString(w, "Ok.\n") // GET / without a query, like ClickHouse
		return
	}
	queryID := req.queryID
	if queryID == "" {
		queryID = "dwm-serve-" + strconv.FormatUint(s.seq.Add(1), 10)
	}
	w.Header().Set("X-ClickHouse-Query-Id", queryID)
	start := time.Now()
	out, stats, err := s.eng.Raw(r.Context(), req.raw)
	if err == nil && req.nativeRevision > 0 {
		out, err = reencodeNative(out, req.nativeRevision)
		if errors.Is(err, errUnsupportedType) {
			err = &warehouse.QueryError{Code: codeNotImplemented, Name: "NOT_IMPLEMENTED", Message: fmt.Sprintf(
				"dwm serve cannot write Native for client_protocol_version %d: %v; cast the column or ask for another format.",
				req.nativeRevision, err)}
		}
	}
	if err != nil {
		s.fail(w, r, err, queryID)
		return
	}
	h := w.Header()
	h.Set("X-ClickHouse-Format", req.raw.Format)
	h.Set("Content-Type", contentType(req.raw.Format))
	h.Set("X-ClickHouse-Summary", fmt.Sprintf(`{"read_rows":"%d","written_rows":"%d","elapsed_ns":"%d"}`,
		stats.RowsRead, stats.RowsWritten, time.Since(start).Nanoseconds()))
	writeBody(w, r, req, out)
}

// authenticate checks the credentials ClickHouse accepts: X-ClickHouse-User/Key headers, HTTP
// basic auth, or user/password URL parameters, in that order; none means user "default".
func (s *Server) authenticate(r *http.Request) error {
	user, pass := r.Header.Get("X-ClickHouse-User"), r.Header.Get("X-ClickHouse-Key")
	if user == "" && pass == "" {
		var ok bool
		if user, pass, ok = r.BasicAuth(); !ok {
			q := r.URL.Query()
			user, pass = q.Get("user"), q.Get("password")
		}
	}
	if user == "" {
		user = "default"
	}
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(s.opts.User)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(pass), []byte(s.opts.Password)) == 1
	if userOK && passOK {
		return nil
	}
	return &warehouse.QueryError{Code: codeAuthenticationFailed, Name: "AUTHENTICATION_FAILED",
		Message: user + ": Authentication failed: password is incorrect, or there is no user with such name."}
}

// contentType mirrors the Content-Type ClickHouse sends for common formats.
func contentType(format string) string {
	f := strings.ToLower(format)
	switch {
	case strings.HasPrefix(f, "json"):
		return "application/json; charset=UTF-8"
	case strings.HasPrefix(f, "tsv"), strings.HasPrefix(f, "tabseparated"):
		return "text/tab-separated-values; charset=UTF-8"
	case strings.HasPrefix(f, "csv"):
		return "text/csv; charset=UTF-8; header=absent"
	case strings.HasPrefix(f, "pretty"), f == "vertical", f == "markdown":
		return "text/plain; charset=UTF-8"
	}
	return "application/octet-stream"
}
