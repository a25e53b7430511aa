package serve

import (
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// request is one parsed HTTP query.
type request struct {
	raw     chdb.RawQuery
	queryID string
	// nativeRevision is client_protocol_version when the answer is Native: the layout the
	// client decodes (see reencodeNative). 0 passes libchdb's output through.
	nativeRevision uint64
	// gzip asks for a compressed response (enable_http_compression=1 and Accept-Encoding).
	compress string
	ping     bool
}

// reservedParams are URL parameters of the HTTP interface itself, not ClickHouse settings.
var reservedParams = map[string]bool{
	"query": true, "database": true, "default_format": true, "query_id": true, "user": true,
	"password": true, "quota_key": true, "compress": true, "decompress": true,
	"client_protocol_version": true, "buffer_size": true, "wait_end_of_query": true,
	"stacktrace": true, "role": true, "session_timeout": true, "session_check": true,
	"close_session": true, "enable_http_compression": true,
}

// unsupportedParams are parts of the HTTP interface dwm serve does not implement; failing
// loudly beats silently ignoring them (a session's temporary tables would vanish).
var unsupportedParams = map[string]string{
	"session_id": "HTTP sessions",
	"decompress": "ClickHouse-compressed request bodies (use Content-Encoding: gzip)",
	"compress":   "ClickHouse-compressed responses (use enable_http_compression=1 with gzip)",
	// readonly cannot be reset once set on the shared connection, so it would stick.
	"readonly": "the readonly setting",
}

// formatClauseRe finds a trailing FORMAT clause, which decides the output format over
// default_format. INSERT ... FORMAT x <data> has no output, so data after it does not matter.
var formatClauseRe = regexp.MustCompile(`(?is)\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$`)

// parseRequest reads the statement, format and settings. The statement is the query parameter
// followed by the body, joined by a newline as ClickHouse does, so "?query=INSERT ... FORMAT
// Native" plus a Native body (clickhouse-go's batch insert) becomes one INSERT with inline data.
func parseRequest(r *http.Request) (*request, error) {
	params := r.URL.Query()
	for name, what := range unsupportedParams {
		if v := params.Get(name); v != "" && v != "0" {
			return nil, &warehouse.QueryError{Code: codeNotImplemented, Name: "NOT_IMPLEMENTED",
				Message: "dwm serve does not support " + what + " (parameter " + name + ")."}
		}
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return nil, &warehouse.QueryError{Code: codeNotImplemented, Name: "NOT_IMPLEMENTED",
			Message: "dwm serve does not support external tables (multipart/form-data)."}
	}
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	sql := params.Get("query")
	switch {
	case sql != "" && len(body) > 0:
		sql += "\n" + string(body)
	case sql == "":
		sql = string(body)
	}
	if strings.TrimSpace(sql) == "" {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			return &request{ping: true}, nil
		}
		return nil, &warehouse.QueryError{Code: codeSyntaxError, Name: "SYNTAX_ERROR", Message: "Empty query."}
	}
	req := &request{queryID: params.Get("query_id")}
	req.raw = chdb.RawQuery{SQL: sql, Database: params.Get("database"), Settings: map[string]string{}}
	for k, vs := range params {
		if !reservedParams[k] && len(vs) > 0 {
			req.raw.Settings[k] = vs[len(vs)-1]
		}
	}
	req.raw.Format = "TabSeparated"
	if f := params.Get("default_format"); f != "" {
		req.raw.Format = f
	}
	if f := r.Header.Get("X-ClickHouse-Format"); f != "" {
		req.raw.Format = f
	}
	if m := formatClauseRe.FindStringSubmatch(sql); m != nil && !isInsert(sql) {
		req.raw.Format = m[1]
	}
	if strings.EqualFold(req.raw.Format, "Native") {
		if v := params.Get("client_protocol_version"); v != "" {
			if req.nativeRevision, err = strconv.ParseUint(v, 10, 64); err != nil {
				return nil, &warehouse.QueryError{Code: codeBadArguments, Name: "BAD_ARGUMENTS",
					Message: fmt.Sprintf("client_protocol_version %q is not a number.", v)}
			}
		}
	}
	if params.Get("enable_http_compression") == "1" {
		req.compress = acceptedEncoding(r.Header.Get("Accept-Encoding"))
	}
	return req, nil
}

var insertRe = regexp.MustCompile(`(?is)^\s*(/\*.*?\*/\s*|--[^\n]*\n\s*)*INSERT\b`)

func isInsert(sql string) bool { return insertRe.MatchString(sql) }

// readBody returns the request body, decoding gzip or deflate Content-Encoding.
func readBody(r *http.Request) ([]byte, error) {
	var src io.Reader = r.Body
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "":
	case "gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, badBody(err)
		}
		src = zr
	case "deflate":
		zr, err := zlib.NewReader(r.Body)
		if err != nil {
			return nil, badBody(err)
		}
		src = zr
	default:
		return nil, &warehouse.QueryError{Code: codeNotImplemented, Name: "NOT_IMPLEMENTED",
			Message: "dwm serve does not support Content-Encoding " + enc + " (use gzip or deflate)."}
	}
	b, err := io.ReadAll(src)
	if err != nil {
		return nil, badBody(err)
	}
	return b, nil
}

func badBody(err error) error {
	return &warehouse.QueryError{Code: 6, Name: "CANNOT_PARSE_TEXT", Message: "cannot read request body: " + err.Error()}
}

func acceptedEncoding(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		switch e := strings.TrimSpace(strings.SplitN(part, ";", 2)[0]); e {
		case "gzip", "deflate":
			return e
		}
	}
	return ""
}

// writeBody sends out, compressed when the client asked for it.
func writeBody(w http.ResponseWriter, r *http.Request, req *request, out []byte) {
	if r.Method == http.MethodHead {
		return
	}
	switch req.compress {
	case "gzip":
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zw.Write(out)
		zw.Close()
	case "deflate":
		w.Header().Set("Content-Encoding", "deflate")
		zw := zlib.NewWriter(w)
		zw.Write(out)
		zw.Close()
	default:
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		w.Write(out)
	}
}
