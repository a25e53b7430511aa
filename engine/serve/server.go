// Package serve answers ClickHouse's HTTP interface on top of the embedded engine, so curl,
// clickhouse-client's HTTP mode, BI tools and the official clients (clickhouse-connect,
// @clickhouse/client, clickhouse-go, dbt-clickhouse) can use a laptop warehouse, and so dwm's
// server target is tested against a real protocol endpoint. ClickHouse itself runs every
// statement; this package speaks the protocol, and package core decides who may do what.
package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/serve/core"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Limits bound what one HTTP client may hold. Zero fields take DefaultLimits'.
type Limits struct {
	// MaxConnections is how many client connections are open at once.
	MaxConnections int
	// MaxBodySize bounds a request body, counted both as sent and after decompression.
	MaxBodySize int64
	// HeaderTimeout bounds reading a request's headers.
	HeaderTimeout time.Duration
	// ReceiveTimeout is how long a request body may send nothing before it is refused.
	ReceiveTimeout time.Duration
	// SendTimeout is how long a client may take to accept each piece of an answer.
	SendTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle this long.
	IdleTimeout time.Duration
	// HoldBytes is how much of an answer is held before its headers go out, so that a statement
	// failing within it still gets an error status.
	HoldBytes int
}

// DefaultLimits are the limits used for zero fields.
var DefaultLimits = Limits{
	MaxConnections: 1024,
	MaxBodySize:    1 << 30,
	HeaderTimeout:  10 * time.Second,
	ReceiveTimeout: 30 * time.Second,
	SendTimeout:    30 * time.Second,
	IdleTimeout:    60 * time.Second,
	HoldBytes:      1 << 20,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxConnections <= 0 {
		l.MaxConnections = d.MaxConnections
	}
	if l.MaxBodySize <= 0 {
		l.MaxBodySize = d.MaxBodySize
	}
	for _, p := range []struct{ v, def *time.Duration }{
		{&l.HeaderTimeout, &d.HeaderTimeout}, {&l.ReceiveTimeout, &d.ReceiveTimeout},
		{&l.SendTimeout, &d.SendTimeout}, {&l.IdleTimeout, &d.IdleTimeout},
	} {
		if *p.v <= 0 {
			*p.v = *p.def
		}
	}
	if l.HoldBytes <= 0 {
		l.HoldBytes = d.HoldBytes
	}
	return l
}

// Options configure a Server.
type Options struct {
	// DisplayName answers X-ClickHouse-Server-Display-Name; empty means "dwm".
	DisplayName string
	// Log receives one line per failed request (never credentials or SQL); nil discards them.
	Log    io.Writer
	Limits Limits
}

// Server is an http.Handler for ClickHouse's HTTP interface over a core.
type Server struct {
	core   *core.Core
	opts   Options
	limits Limits
}

// New returns a Server answering for c.
func New(c *core.Core, opts Options) *Server {
	if opts.DisplayName == "" {
		opts.DisplayName = "dwm"
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	return &Server{core: c, opts: opts, limits: opts.Limits.withDefaults()}
}

// shutdownGrace bounds how long Serve waits for running statements after ctx ends.
const shutdownGrace = 10 * time.Second

// Serve answers requests on ln until ctx ends, then stops accepting, lets running requests
// finish for up to shutdownGrace, and returns nil. Any other failure is returned.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.limits.HeaderTimeout,
		IdleTimeout:       s.limits.IdleTimeout,
		MaxHeaderBytes:    1 << 20, // ClickHouse's http_max_uri_size
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(&limitListener{Listener: ln, max: s.limits.MaxConnections}) }()
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
		s.fail(w, r, core.Errorf(core.CodeUnknownEndpoint, "There is no handle %s", r.URL.Path), "")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		s.fail(w, r, core.Errorf(core.CodeBadArguments, "HTTP method %s is not supported", r.Method), "")
		return
	}
	params := r.URL.Query()
	if r.Method != http.MethodPost && params.Get("query") == "" && r.ContentLength <= 0 {
		io.WriteString(w, "Ok.\n") // GET / without a query, like ClickHouse
		return
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		s.fail(w, r, core.Errorf(core.CodeNotImplemented, "dwm serve does not support external tables or form-encoded queries (multipart/form-data)"), "")
		return
	}
	if err := s.query(w, r, params); err != nil {
		s.fail(w, r, s.asQueryError(err), w.Header().Get("X-ClickHouse-Query-Id"))
	}
}

// query runs the request's statement. An error it returns is answered by ServeHTTP, and only
// comes before the answer's headers went out.
func (s *Server) query(w http.ResponseWriter, r *http.Request, params map[string][]string) error {
	name, password := credentials(r, params)
	user, err := s.core.Authenticate(name, password)
	if err != nil {
		return err
	}
	so, err := sessionOptions(params)
	if err != nil {
		return err
	}
	enc, err := responseEncoding(params, r.Header.Get("Accept-Encoding"))
	if err != nil {
		return core.Errorf(core.CodeBadArguments, "%v", err)
	}
	ctx := r.Context()
	sess, err := s.core.Session(ctx, user, so)
	if err != nil {
		return err
	}
	defer sess.Release()
	if get(params, "close_session") == "1" {
		sess.CloseAfter()
	}
	body, closeBody, err := openBody(w, r, get(params, "decompress") == "1", s.limits.MaxBodySize, s.limits.ReceiveTimeout)
	if err != nil {
		return err
	}
	defer closeBody()
	st := statement(r, params)
	st.Body = body
	p, err := sess.Prepare(ctx, st)
	if err != nil {
		return err
	}
	w.Header().Set("X-ClickHouse-Query-Id", p.QueryID)

	var res core.Result
	rc := http.NewResponseController(w)
	defer rc.SetWriteDeadline(time.Time{})
	a := &answer{w: w, rc: rc, sendTimeout: s.limits.SendTimeout, holdMax: s.limits.HoldBytes,
		spill: get(params, "wait_end_of_query") == "1"}
	a.commit = func() {
		h := w.Header()
		h.Set("X-ClickHouse-Format", p.Format)
		h.Set("Content-Type", contentType(p.Format))
		if enc.contentEncoding != "" {
			h.Set("Content-Encoding", enc.contentEncoding)
		}
		h.Set("X-ClickHouse-Summary", summary(res))
	}
	encoded, closeEnc, err := enc.encoder(a)
	if err != nil {
		return err
	}
	var out io.Writer = encoded
	finishNative := func(err error) error { return err }
	if strings.EqualFold(p.Format, "Native") && get(params, "client_protocol_version") != "" {
		rev, perr := strconv.ParseUint(get(params, "client_protocol_version"), 10, 64)
		if perr != nil {
			return core.Errorf(core.CodeBadArguments, "client_protocol_version %q is not a number", get(params, "client_protocol_version"))
		}
		out, finishNative = nativeReencoder(encoded, rev)
	}
	res, err = p.Run(ctx, out)
	err = finishNative(err)
	if err == nil {
		err = closeEnc()
	}
	if err == nil {
		_ = a.finish() // an error here is a client that went away while the answer was sent
		return nil
	}
	if !a.committed {
		a.discard()
		return err
	}
	// Headers are gone: ClickHouse's way is to write the exception into the body; dwm serve
	// then cuts the connection, so no client mistakes the truncated answer for a whole one.
	qe := s.asQueryError(err)
	fmt.Fprintf(s.opts.Log, "dwm serve: %s %s query_id=%s: code %d (%s) after the answer started\n", r.Method, r.URL.Path, p.QueryID, qe.Code, qe.Name)
	_, _ = io.WriteString(encoded, exceptionText(qe))
	_ = closeEnc()
	_ = rc.Flush()
	panic(http.ErrAbortHandler)
}

// nativeReencoder returns a writer that re-encodes libchdb's Native output for the client's
// protocol revision into w, and a func that waits for it and returns the first error.
func nativeReencoder(w io.Writer, revision uint64) (io.Writer, func(error) error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := reencodeNative(pr, w, revision)
		if errors.Is(err, errUnsupportedType) {
			err = core.Errorf(core.CodeNotImplemented, "dwm serve cannot write Native for client_protocol_version %d: %v; cast the column or ask for another format", revision, err)
		}
		pr.CloseWithError(err)
		done <- err
	}()
	return pw, func(runErr error) error {
		pw.CloseWithError(runErr)
		if err := <-done; err != nil {
			var qe *warehouse.QueryError
			if errors.As(err, &qe) || runErr == nil {
				return err
			}
		}
		return runErr
	}
}

func summary(r core.Result) string {
	return fmt.Sprintf(`{"read_rows":"%d","read_bytes":"0","written_rows":"%d","written_bytes":"0","total_rows_to_read":"0","result_rows":"0","result_bytes":"0","elapsed_ns":"%d"}`,
		r.RowsRead, r.RowsWritten, r.Elapsed.Nanoseconds())
}

func get(params map[string][]string, k string) string {
	if v := params[k]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}
