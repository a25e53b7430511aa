package tcp

import (
	"context"
	"errors"
	"strings"

	"github.com/ClickHouse/ch-go/proto"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// ClickHouse error codes this package raises itself.
const (
	codeChecksumDoesntMatch  = 40  // CHECKSUM_DOESNT_MATCH
	codeNotImplemented       = 48  // NOT_IMPLEMENTED
	codeUnexpectedPacket     = 101 // UNEXPECTED_PACKET_FROM_CLIENT
	codeUnknownCompression   = 146 // UNKNOWN_COMPRESSION_METHOD
	codeTooManyConnections   = 202 // TOO_MANY_SIMULTANEOUS_QUERIES, the nearest ClickHouse has
	codeQueryWasCancelled    = 394 // QUERY_WAS_CANCELLED
	codeAuthenticationFailed = 516 // AUTHENTICATION_FAILED
	codeStdException         = 1001
)

// exception is what the client receives: ClickHouse's code and name and a message.
type exception struct {
	code    int
	name    string
	message string
}

// toException maps an engine or protocol error to what ClickHouse would send.
func toException(err error) *exception {
	var qe *warehouse.QueryError
	var ce *checksumError
	switch {
	case errors.As(err, &qe):
		return &exception{code: qe.Code, name: qe.Name, message: qe.Message}
	case errors.As(err, &ce):
		return &exception{code: codeChecksumDoesntMatch, name: "CHECKSUM_DOESNT_MATCH", message: err.Error()}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &exception{code: codeQueryWasCancelled, name: "QUERY_WAS_CANCELLED", message: "Query was cancelled."}
	case errors.Is(err, errProtocol):
		return &exception{code: codeUnexpectedPacket, name: "UNEXPECTED_PACKET_FROM_CLIENT", message: err.Error()}
	}
	return &exception{code: codeStdException, name: "STD_EXCEPTION", message: err.Error()}
}

// exceptionPacket appends an Exception packet as a ClickHouse server writes it: the name is the
// class ("DB::Exception") and the message repeats it, then the text and the code's name in
// parentheses, which is what clients print and what dwm's server target parses the name from.
func exceptionPacket(b []byte, e *exception) []byte {
	buf := proto.Buffer{Buf: b}
	buf.PutByte(serverException)
	msg := strings.TrimSpace(e.message)
	if e.name != "" {
		msg += " (" + e.name + ")"
	}
	ex := proto.Exception{Code: proto.Error(e.code), Name: "DB::Exception", Message: "DB::Exception: " + msg}
	ex.EncodeAware(&buf, 0)
	return buf.Buf
}
