package core

import (
	"fmt"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// ClickHouse error codes the core raises itself. Front ends send them as ClickHouse does
// (the HTTP status and the X-ClickHouse-Exception-Code header, or the native Exception packet).
const (
	CodeUnsupportedMethod        = 1
	CodeChecksumDoesntMatch      = 40
	CodeUnknownCompressionMethod = 89
	CodeCannotDecompress         = 271
	CodeUnknownEndpoint          = 667
	CodeSyntaxError              = 62
	CodeBadArguments             = 36
	CodeNotImplemented           = 48
	CodeUnknownSetting           = 115
	CodeReadonly                 = 164
	CodeTooManySimultaneous      = 202
	CodeSocketTimeout            = 209
	CodeQueryWithSameIDIsRunning = 216
	CodeTooManyBytes             = 307
	CodeSessionNotFound          = 372
	CodeSessionIsLocked          = 373
	CodeInvalidSessionTimeout    = 374
	CodeQueryWasCancelled        = 394
	CodeAccessDenied             = 497
	CodeAuthenticationFailed     = 516
	CodeUserSessionLimitExceeded = 700
	CodeHTTPConnectionLimit      = 762
)

var codeNames = map[int]string{
	CodeUnsupportedMethod: "UNSUPPORTED_METHOD", CodeChecksumDoesntMatch: "CHECKSUM_DOESNT_MATCH",
	CodeUnknownCompressionMethod: "UNKNOWN_COMPRESSION_METHOD", CodeCannotDecompress: "CANNOT_DECOMPRESS",
	CodeUnknownEndpoint: "UNKNOWN_ENDPOINT", CodeSyntaxError: "SYNTAX_ERROR", CodeBadArguments: "BAD_ARGUMENTS",
	CodeNotImplemented: "NOT_IMPLEMENTED", CodeUnknownSetting: "UNKNOWN_SETTING", CodeReadonly: "READONLY",
	CodeTooManySimultaneous: "TOO_MANY_SIMULTANEOUS_QUERIES", CodeSocketTimeout: "SOCKET_TIMEOUT",
	CodeQueryWithSameIDIsRunning: "QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING", CodeTooManyBytes: "TOO_MANY_BYTES",
	CodeSessionNotFound: "SESSION_NOT_FOUND", CodeSessionIsLocked: "SESSION_IS_LOCKED",
	CodeInvalidSessionTimeout: "INVALID_SESSION_TIMEOUT", CodeQueryWasCancelled: "QUERY_WAS_CANCELLED",
	CodeAccessDenied: "ACCESS_DENIED", CodeAuthenticationFailed: "AUTHENTICATION_FAILED",
	CodeUserSessionLimitExceeded: "USER_SESSION_LIMIT_EXCEEDED", CodeHTTPConnectionLimit: "HTTP_CONNECTION_LIMIT_REACHED",
}

// Errorf returns a ClickHouse error with code and its name.
func Errorf(code int, format string, args ...any) *warehouse.QueryError {
	return &warehouse.QueryError{Code: code, Name: codeNames[code], Message: fmt.Sprintf(format, args...)}
}
