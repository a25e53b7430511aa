// Package objstore is how dwm's SQL reaches a target's object storage (S3 or an S3-compatible
// server): it parses s3:// locations and writes the s3() / s3Cluster() table-function calls that
// list and read them.
//
// ClickHouse takes the access keys as plain arguments of s3(), so SQL that carries them would
// carry them into run logs, artifacts and error messages. The calls written here carry
// placeholders instead (for example '<dwm secret: s3.secret_access_key>'); only the warehouse
// connection replaces them with the values, right before a statement leaves dwm, and scrubs the
// values from whatever comes back (warehouse.WithSecrets). Plans, logs and errors therefore only
// ever hold the placeholders.
package objstore

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
)

// Scheme starts every object location dwm reads.
const Scheme = "s3://"

// The environment variables that configure object storage when a target says nothing else,
// as the AWS tools read them.
const (
	EnvEndpoint     = "AWS_ENDPOINT_URL"
	EnvRegion       = "AWS_REGION"
	EnvAccessKey    = "AWS_ACCESS_KEY_ID"
	EnvSecretKey    = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken = "AWS_SESSION_TOKEN"
)

// Config is a target's object storage access after defaults.
type Config struct {
	// Target names the target, for messages.
	Target string
	// Endpoint is the S3 API's base URL (scheme, host, port), e.g. http://127.0.0.1:9000.
	// Objects are addressed path-style: Endpoint/bucket/key.
	Endpoint string
	// Region derives the endpoint https://s3.REGION.amazonaws.com when Endpoint is empty.
	// ClickHouse's s3() has no region argument: it signs for the region in an AWS host name.
	Region string
	// AccessKeyID, SecretAccessKey and SessionToken are sent with each s3() call.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// ServerCredentials sends no keys: the ClickHouse server uses its own (its environment,
	// an instance role), and dwm needs none.
	ServerCredentials bool
}

// Location is one s3://bucket/key; the key may be a ClickHouse glob (*, **, ?, {a,b}, {1..9}).
type Location struct {
	Bucket string
	Key    string
}

// String is the s3:// form, which the ledger records and messages show.
func (l Location) String() string { return Scheme + l.Bucket + "/" + l.Key }

// IsObject reports whether a files pattern names object storage.
func IsObject(pattern string) bool { return strings.HasPrefix(pattern, Scheme) }

// Parse reads s3://bucket/key.
func Parse(s string) (Location, error) {
	if !IsObject(s) {
		return Location{}, fmt.Errorf("%q is not an %s location", s, Scheme)
	}
	rest := strings.TrimPrefix(s, Scheme)
	bucket, key, ok := strings.Cut(rest, "/")
	if !ok || bucket == "" || key == "" {
		return Location{}, fmt.Errorf("%q: want %sBUCKET/KEY", s, Scheme)
	}
	if strings.ContainsAny(bucket, "*?{}") {
		return Location{}, fmt.Errorf("%q: the bucket name cannot be a glob", s)
	}
	return Location{Bucket: bucket, Key: key}, nil
}

// Store writes the SQL that reaches the objects of one Config.
type Store struct {
	cfg      Config
	endpoint string
}

// ErrNotConfigured means object storage is used but something it needs is missing; the message
// names the variable to set.
var ErrNotConfigured = errors.New("object storage is not configured")

// New checks cfg and returns its Store. The error names the missing environment variable or
// project.yml key, never a value.
func New(cfg Config) (*Store, error) {
	where := "in the s3: block of target " + cfg.Target
	ep := strings.TrimRight(strings.TrimSpace(cfg.Endpoint), "/")
	if ep == "" && cfg.Region != "" {
		ep = "https://s3." + cfg.Region + ".amazonaws.com"
	}
	if ep == "" {
		return nil, fmt.Errorf("%w: no endpoint: set %s (or %s for AWS), or endpoint %s", ErrNotConfigured, EnvEndpoint, EnvRegion, where)
	}
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		// The value is not shown: an endpoint is no secret, but a mistyped one could hold one.
		return nil, fmt.Errorf("%w: the endpoint must be http(s)://HOST[:PORT] with no path, query or user (set %s or endpoint %s)",
			ErrNotConfigured, EnvEndpoint, where)
	}
	if !cfg.ServerCredentials {
		switch {
		case cfg.AccessKeyID == "":
			return nil, fmt.Errorf("%w: no access key: set %s, or access_key_id %s (or credentials: server to use the server's own)",
				ErrNotConfigured, EnvAccessKey, where)
		case cfg.SecretAccessKey == "":
			return nil, fmt.Errorf("%w: no secret key: set %s, or secret_access_key %s (or credentials: server to use the server's own)",
				ErrNotConfigured, EnvSecretKey, where)
		}
	}
	return &Store{cfg: cfg, endpoint: ep}, nil
}

// Endpoint is the base URL objects are read from.
func (s *Store) Endpoint() string { return s.endpoint }

// URL is the path-style address of l. Only the key's unsafe characters are escaped; glob
// characters stay, since ClickHouse expands them.
func (s *Store) URL(l Location) string {
	return s.endpoint + "/" + l.Bucket + "/" + escapeKey(l.Key)
}

func escapeKey(key string) string {
	var b strings.Builder
	for _, r := range key {
		switch {
		case r == ' ':
			b.WriteString("%20")
		case r == '%' || r == '#' || r == '\\' || r < 0x20:
			fmt.Fprintf(&b, "%%%02X", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Placeholders of the secrets in SQL; each is a whole string literal, quotes included.
const (
	phAccessKey    = "'<dwm secret: s3.access_key_id>'"
	phSecretKey    = "'<dwm secret: s3.secret_access_key>'"
	phSessionToken = "'<dwm secret: s3.session_token>'"
)

// Secrets maps each placeholder the Store writes to the SQL literal of its value, for
// warehouse.WithSecrets. It is empty with server credentials.
func (s *Store) Secrets() map[string]string {
	if s == nil || s.cfg.ServerCredentials {
		return nil
	}
	out := map[string]string{phAccessKey: manifest.QuoteString(s.cfg.AccessKeyID), phSecretKey: manifest.QuoteString(s.cfg.SecretAccessKey)}
	if s.cfg.SessionToken != "" {
		out[phSessionToken] = manifest.QuoteString(s.cfg.SessionToken)
	}
	return out
}

// TableFunction is the call that reads l as format with the given structure (a ClickHouse
// column list; "" lets ClickHouse infer it). With a cluster name the read is spread over the
// cluster's nodes with s3Cluster.
func (s *Store) TableFunction(l Location, format, structure, cluster string) string {
	args := []string{manifest.QuoteString(s.URL(l))}
	if !s.cfg.ServerCredentials {
		args = append(args, phAccessKey, phSecretKey)
		if s.cfg.SessionToken != "" {
			args = append(args, phSessionToken)
		}
	}
	args = append(args, manifest.QuoteString(format))
	if structure != "" {
		args = append(args, manifest.QuoteString(structure))
	}
	if cluster != "" {
		return "s3Cluster(" + manifest.QuoteString(cluster) + ", " + strings.Join(args, ", ") + ")"
	}
	return "s3(" + strings.Join(args, ", ") + ")"
}

// Settings bound how long a read keeps retrying an S3 endpoint. ClickHouse's default of 500
// attempts made a statement against an endpoint that is down hang for minutes; 5 attempts fail a
// refused connection in about 14 s (2 vCPU) and still ride out throttling (503 SlowDown).
func (s *Store) Settings() string { return "s3_retry_attempts = 5" }

// probeSettings are for the listing, a run's first contact with the store: an endpoint that is
// down fails it in about 2 s.
const probeSettings = "s3_retry_attempts = 2"

// ListSQL lists the objects matching the glob l without reading them (format One reads no
// data): their path (bucket/key), ETag and size, in path order.
func (s *Store) ListSQL(l Location) string {
	return "SELECT _path, _etag, _size FROM " + s.TableFunction(l, "One", "", "") + " ORDER BY _path SETTINGS " + probeSettings
}

// FirstLineSQL reads the first line of one object (a CSV file's header).
func (s *Store) FirstLineSQL(l Location) string {
	return "SELECT line FROM " + s.TableFunction(l, "LineAsString", "line String", "") + " LIMIT 1 SETTINGS " + s.Settings() +
		", input_format_parallel_parsing = 0, max_threads = 1"
}
