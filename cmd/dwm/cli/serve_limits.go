package cli

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/dwmhq/dwm/engine/serve"
	"github.com/dwmhq/dwm/engine/serve/auth"
	"github.com/dwmhq/dwm/engine/serve/core"
	"github.com/dwmhq/dwm/engine/serve/sandbox"
	"github.com/dwmhq/dwm/engine/serve/tcp"
)

// serveAccess are serve's flags for who may connect, what their SQL may reach and how much they
// may use.
type serveAccess struct {
	usersFile string
	readonly  bool
	noSandbox bool
	allowURLs []string
	core      core.Limits
	http      serve.Limits
	bodySize  byteSize
}

func (a *serveAccess) register(f *pflag.FlagSet) {
	f.StringVar(&a.usersFile, "users-file", "", "YAML file of users with hashed passwords (replaces --user/--password; see docs/serve.md)")
	f.BoolVar(&a.readonly, "readonly", false, "every user may only read (and change settings)")
	f.BoolVar(&a.noSandbox, "no-sandbox", false, "let SQL reach the machine's files, programs and network (trusted clients only)")
	f.StringArrayVar(&a.allowURLs, "allow-url", nil, "URL prefix s3() and url() may reach, besides $AWS_ENDPOINT_URL (repeatable)")
	c, h := core.DefaultLimits, serve.DefaultLimits
	f.IntVar(&a.http.MaxConnections, "max-connections", h.MaxConnections, "client connections open at once")
	a.bodySize = byteSize(h.MaxBodySize)
	f.Var(&a.bodySize, "max-body-size", "largest request body, after decompression (bytes; K, M, G suffixes)")
	f.DurationVar(&a.http.HeaderTimeout, "header-timeout", h.HeaderTimeout, "time to send a request's headers")
	f.DurationVar(&a.http.ReceiveTimeout, "receive-timeout", h.ReceiveTimeout, "time a request body may send nothing")
	f.DurationVar(&a.http.SendTimeout, "send-timeout", h.SendTimeout, "time a client may take to accept each piece of an answer")
	f.IntVar(&a.core.MaxQueries, "max-queries", c.MaxQueries, "statements running at once; more wait up to --queue-wait")
	f.IntVar(&a.core.MaxQueriesPerUser, "max-queries-per-user", c.MaxQueriesPerUser, "statements one user runs at once; more are refused")
	f.DurationVar(&a.core.QueueWait, "queue-wait", c.QueueWait, "how long a statement waits for a free slot")
	f.IntVar(&a.core.MaxSessions, "max-sessions", c.MaxSessions, "HTTP sessions open at once")
	f.DurationVar(&a.core.SessionTimeout, "session-timeout", c.SessionTimeout, "idle timeout of a session whose client gives none")
	f.DurationVar(&a.core.MaxSessionTimeout, "max-session-timeout", c.MaxSessionTimeout, "longest session_timeout a client may ask for")
	f.IntVar(&a.core.MaxQuerySize, "max-query-size", c.MaxQuerySize, "bytes of statement text read (an INSERT's data does not count)")
}

// users returns who may connect: the users file, or the single --user/--password.
func (a *serveAccess) users(user, password string) (*auth.Users, error) {
	if a.usersFile == "" {
		return auth.Single(user, password), nil
	}
	u, err := auth.LoadFile(a.usersFile)
	if err != nil {
		return nil, err
	}
	if slices.Contains(u.Names(), core.LocalUser) {
		return nil, fmt.Errorf("%s: user %s is reserved for dwm commands on the served project", a.usersFile, core.LocalUser)
	}
	return u, nil
}

// policy is the sandbox: on unless --no-sandbox, with the operator's object store reachable.
func (a *serveAccess) policy(getenv func(string) string) sandbox.Policy {
	p := sandbox.Policy{Off: a.noSandbox, URLs: append([]string(nil), a.allowURLs...)}
	for _, k := range []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			p.URLs = append(p.URLs, v)
		}
	}
	return p
}

func (a *serveAccess) httpLimits() serve.Limits {
	l := a.http
	l.MaxBodySize = int64(a.bodySize)
	return l
}

// tcpOptions are the native protocol's limits from the same flags as HTTP's.
func (a *serveAccess) tcpOptions(log io.Writer) tcp.Options {
	return tcp.Options{
		MaxConnections:   a.http.MaxConnections,
		MaxQueryBytes:    a.core.MaxQuerySize,
		HandshakeTimeout: a.http.HeaderTimeout,
		ReceiveTimeout:   a.http.ReceiveTimeout,
		SendTimeout:      a.http.SendTimeout,
		Log:              log,
	}
}

// byteSize is a flag of bytes with an optional K, M or G (binary) suffix.
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }
func (b *byteSize) Type() string   { return "bytes" }

func (b *byteSize) Set(s string) error {
	t := strings.ToUpper(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s), "iB"), "B"))
	mult := int64(1)
	switch {
	case strings.HasSuffix(t, "K"):
		mult, t = 1<<10, strings.TrimSuffix(t, "K")
	case strings.HasSuffix(t, "M"):
		mult, t = 1<<20, strings.TrimSuffix(t, "M")
	case strings.HasSuffix(t, "G"):
		mult, t = 1<<30, strings.TrimSuffix(t, "G")
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a size in bytes (e.g. 1048576, 512M, 2G)", s)
	}
	*b = byteSize(n * mult)
	return nil
}
