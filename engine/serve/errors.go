package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// ClickHouse error codes this package raises itself.
const (
	codeSyntaxError          = 62
	codeBadArguments         = 36
	codeNotImplemented       = 48
	codeUnknownEndpoint      = 667
	codeAuthenticationFailed = 516
	codeQueryWasCancelled    = 394
	codeStdException         = 1001
)

// fail answers an error the way a ClickHouse server does: the exception text as the body
// ("Code: N. DB::Exception: message. (NAME)") and the code in X-ClickHouse-Exception-Code, which
// is what clickhouse-go parses into *clickhouse.Exception. Headers are not yet sent: results are
// buffered, so every error, even one found late, gets a proper status.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error, queryID string) {
	var qe *warehouse.QueryError
	if !errors.As(err, &qe) {
		qe = &warehouse.QueryError{Code: codeStdException, Name: "STD_EXCEPTION", Message: err.Error()}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			qe = &warehouse.QueryError{Code: codeQueryWasCancelled, Name: "QUERY_WAS_CANCELLED", Message: "Query was cancelled."}
		}
	}
	fmt.Fprintf(s.opts.Log, "dwm serve: %s %s query_id=%s: code %d (%s)\n", r.Method, r.URL.Path, queryID, qe.Code, qe.Name)
	h := w.Header()
	h.Set("X-ClickHouse-Exception-Code", strconv.Itoa(qe.Code))
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
	return fmt.Sprintf("Code: %d. DB::Exception: %s (%s)\n", e.Code, msg, e.Name)
}

// httpStatus maps an error code to the status ClickHouse's HTTP handler uses for it, so tools
// that only look at the status (load balancers, curl --fail) behave as with a real server.
func httpStatus(code int) int {
	switch code {
	case codeAuthenticationFailed, 192, 193, 194, 195, 164: // unknown user, wrong or required password, readonly
		return http.StatusForbidden
	case 60, 81, 46, codeUnknownEndpoint: // unknown table, database, function; no such handler
		return http.StatusNotFound
	case codeSyntaxError, codeBadArguments, 6, 27, 47, 53, 115, 69: // syntax, parsing, identifiers, types, settings
		return http.StatusBadRequest
	case 159, codeQueryWasCancelled: // timeout exceeded, cancelled
		return http.StatusRequestTimeout
	case codeNotImplemented:
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}
