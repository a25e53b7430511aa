package serve

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/serve/core"
)

// httpParams are URL parameters of the HTTP interface itself, not engine settings. Some are
// ClickHouse settings that only steer the HTTP answer (compression, progress headers); dwm serve
// reads those here and does not set them on the engine.
var httpParams = map[string]bool{
	"query": true, "database": true, "default_format": true, "query_id": true, "user": true,
	"password": true, "quota_key": true, "compress": true, "decompress": true,
	"client_protocol_version": true, "buffer_size": true, "wait_end_of_query": true,
	"stacktrace": true, "role": true, "session_id": true, "session_timeout": true, "session_check": true,
	"close_session": true, "enable_http_compression": true, "http_zlib_compression_level": true,
	"send_progress_in_http_headers": true, "http_headers_progress_interval_ms": true,
	"cancel_http_readonly_queries_on_client_close": true, "network_compression_method": true,
	"network_zstd_compression_level": true, "http_native_compression_disable_checksumming_on_decompress": true,
	"http_response_buffer_size": true, "http_wait_end_of_query": true, "max_result_bytes_for_http": true,
}

// credentials are what ClickHouse accepts, in its order: X-ClickHouse-User/Key headers, HTTP
// basic auth, or user/password URL parameters. None means user "default".
func credentials(r *http.Request, params url.Values) (string, string) {
	user, pass := r.Header.Get("X-ClickHouse-User"), r.Header.Get("X-ClickHouse-Key")
	if user != "" || pass != "" {
		return user, pass
	}
	if u, p, ok := r.BasicAuth(); ok {
		return u, p
	}
	return params.Get("user"), params.Get("password")
}

// sessionOptions reads session_id, session_timeout and session_check.
func sessionOptions(params url.Values) (core.SessionOptions, error) {
	o := core.SessionOptions{ID: params.Get("session_id"), Check: params.Get("session_check") == "1"}
	if v := params.Get("session_timeout"); v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || secs < 0 {
			return o, core.Errorf(core.CodeInvalidSessionTimeout, "Invalid session timeout: %q", v)
		}
		o.Timeout = time.Duration(secs * float64(time.Second))
	}
	return o, nil
}

// statement builds the core's statement from the request: the query parameter (continued by
// the body), the format, database, settings and query parameters.
func statement(r *http.Request, params url.Values) core.Statement {
	st := core.Statement{
		Text:          params.Get("query"),
		DefaultFormat: params.Get("default_format"),
		Database:      params.Get("database"),
		QueryID:       params.Get("query_id"),
		Settings:      map[string]string{},
		Params:        map[string]string{},
	}
	if f := r.Header.Get("X-ClickHouse-Format"); f != "" {
		st.DefaultFormat = f
	}
	if d := r.Header.Get("X-ClickHouse-Database"); d != "" && st.Database == "" {
		st.Database = d
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		st.Readonly = 2 // ClickHouse: anything but POST is read-only
	}
	for k, vs := range params {
		if len(vs) == 0 || httpParams[k] {
			continue
		}
		if name, ok := strings.CutPrefix(k, "param_"); ok {
			st.Params[name] = vs[len(vs)-1]
			continue
		}
		st.Settings[k] = vs[len(vs)-1]
	}
	return st
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
