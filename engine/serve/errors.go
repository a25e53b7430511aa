package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	chcompress "github.com/ClickHouse/ch-go/compress"

	"github.com/dwmhq/dwm/engine/serve/core"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// asQueryError turns any failure into the ClickHouse error a client gets for it.
func (s *Server) asQueryError(err error) *warehouse.QueryError {
	var qe *warehouse.QueryError
	var de *decodeError
	var corrupt *chcompress.CorruptedDataErr
	switch {
	case errors.Is(err, errBodyTooLarge):
		return core.Errorf(core.CodeTooManyBytes, "The request body is larger than %d bytes (counted after decompression; dwm serve --max-body-size)", s.limits.MaxBodySize)
	case errors.Is(err, errBodyTimeout):
		return core.Errorf(core.CodeSocketTimeout, "Timeout exceeded while reading the request body: nothing arrived for %v (dwm serve --receive-timeout)", s.limits.ReceiveTimeout)
	case errors.As(err, &corrupt):
		return core.Errorf(core.CodeChecksumDoesntMatch, "Checksum doesn't match: corrupted data in a compressed block of the request body")
	case errors.As(err, &de):
		return core.Errorf(core.CodeCannotDecompress, "%v", de)
	case errors.As(err, &qe):
		return qe
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return core.Errorf(core.CodeQueryWasCancelled, "Query was cancelled.")
	}
	return &warehouse.QueryError{Code: 1001, Name: "STD_EXCEPTION", Message: err.Error()}
}

// fail answers an error the way a ClickHouse server does: the exception text as the body
// ("Code: N. DB::Exception: message. (NAME)") and the code in X-ClickHouse-Exception-Code, which
// clickhouse-go parses into *clickhouse.Exception. It is used only before the answer's headers
// are sent; after that, see answer.abort.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, qe *warehouse.QueryError, queryID string) {
	fmt.Fprintf(s.opts.Log, "dwm serve: %s %s query_id=%s: code %d (%s)\n", r.Method, r.URL.Path, queryID, qe.Code, qe.Name)
	h := w.Header()
	h.Del("Content-Encoding")
	h.Del("X-ClickHouse-Format")
	h.Set("X-ClickHouse-Exception-Code", fmt.Sprint(qe.Code))
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	w.WriteHeader(httpStatus(qe.Code))
	fmt.Fprint(w, exceptionText(qe))
}

// exceptionText formats e as ClickHouse prints an exception.
func exceptionText(e *warehouse.QueryError) string {
	msg := strings.TrimSpace(e.Message)
	if e.Name == "" {
		return fmt.Sprintf("Code: %d. DB::Exception: %s\n", e.Code, msg)
	}
	return fmt.Sprintf("Code: %d. DB::Exception: %s. (%s)\n", e.Code, strings.TrimSuffix(msg, "."), e.Name)
}

// httpStatus maps an error code to the status ClickHouse's HTTP handler uses for it
// (src/Server/HTTP/exceptionCodeToHTTPStatus.cpp), so tools that only look at the status behave
// as with a real server. dwm serve's own limits add 413 and 503.
func httpStatus(code int) int {
	switch code {
	case 194: // REQUIRED_PASSWORD
		return http.StatusUnauthorized
	case 192, 193, 516, 512, 497: // UNKNOWN_USER, WRONG_PASSWORD, AUTHENTICATION_FAILED, SET_NON_GRANTED_ROLE, ACCESS_DENIED
		return http.StatusForbidden
	case 36, 427, 6, 25, 26, 38, 41, 72, 441, 675, 676, 27, 376, 15, 44, 37, 123, 8, 167, 168, 223, 62, 117, 53, 321:
		return http.StatusBadRequest // bad arguments, parse errors, syntax errors, type mismatches
	case 60, 46, 47, 50, 56, 81, 115, 152, 63, 73, 336, 78, 511, core.CodeUnknownEndpoint:
		return http.StatusNotFound // UNKNOWN_TABLE, UNKNOWN_FUNCTION, …, and no such handler
	case 229, core.CodeTooManyBytes: // QUERY_IS_TOO_LARGE; the request body limit
		return http.StatusRequestEntityTooLarge
	case 48: // NOT_IMPLEMENTED
		return http.StatusNotImplemented
	case 209, 76, 439, core.CodeHTTPConnectionLimit: // SOCKET_TIMEOUT, CANNOT_OPEN_FILE, CANNOT_SCHEDULE_TASK
		return http.StatusServiceUnavailable
	case 381: // HTTP_LENGTH_REQUIRED
		return http.StatusLengthRequired
	case 159: // TIMEOUT_EXCEEDED
		return http.StatusRequestTimeout
	case 779: // UNSUPPORTED_MEDIA_TYPE
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}
