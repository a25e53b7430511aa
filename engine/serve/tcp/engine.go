package tcp

import (
	"context"
	"net"

	"github.com/dwmhq/dwm/engine/serve/nativefmt"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Engine is what the protocol needs from the server behind it. Errors meant for the client are
// *warehouse.QueryError (ClickHouse's code, name and message); anything else is sent as
// STD_EXCEPTION. Contexts end when the client cancels or disconnects.
type Engine interface {
	// Info describes the server for the handshake.
	Info(ctx context.Context) (ServerInfo, error)
	// Login checks a client's credentials (AUTHENTICATION_FAILED when wrong) and opens the
	// session its connection runs in; an unknown Database is UNKNOWN_DATABASE.
	Login(ctx context.Context, l Login) (Session, error)
}

// ServerInfo is what the handshake tells a client about the server.
type ServerInfo struct {
	Name                string // "ClickHouse" makes clients treat the server as one
	Major, Minor, Patch uint64
	Timezone            string // the engine's; clients read DateTime columns in it
	DisplayName         string
}

// Login is a client's hello.
type Login struct {
	User, Password string
	// Database is the client's default database; empty means the server's.
	Database string
	// Remote is the client's address, Local the server's end of the connection.
	Remote, Local net.Addr
	// Client names the client program, e.g. "clickhouse-go/2.51.0", for logs.
	Client string
}

// Session is one connection's state between statements: its user, the database USE chose and
// the settings SET chose. Its methods are called one at a time.
type Session interface {
	// Query runs a statement that reads no client data. When the statement returns a result
	// (SELECT, SHOW, DESCRIBE...), out receives it as Native blocks in the file layout (protocol
	// revision 0), one or more whole blocks per call, and the first call's first block carries
	// the column names and types even when there are no rows. Statements without a result (DDL,
	// INSERT ... SELECT, SET, USE) never call out. An error from out stops the statement.
	Query(ctx context.Context, st Statement, out func(native []byte) error) (warehouse.Stats, error)
	// InsertColumns returns the columns an INSERT that waits for client data takes, in order.
	InsertColumns(ctx context.Context, ins Insert) ([]nativefmt.Column, error)
	// Insert runs ins with the data blocks next returns (Native, file layout, with the columns
	// InsertColumns gave) until next returns io.EOF. A block is valid until the next call. The
	// engine should take blocks as they come rather than all at once, so memory stays bounded;
	// like ClickHouse's own inserts, an insert is atomic per block at most. An error from next
	// (the client cancelled or left) must stop the insert.
	Insert(ctx context.Context, ins Insert, next func() ([]byte, error)) (warehouse.Stats, error)
	// Close ends the session when the connection closes.
	Close() error
}

// Statement is one query as a client sent it.
type Statement struct {
	// SQL is one statement, a trailing FORMAT clause removed (results always travel as Native
	// blocks over this protocol).
	SQL     string
	QueryID string
	// Settings apply to this statement only, over the session's.
	Settings map[string]string
	// Params are query parameters ({name:Type} in SQL), values as text.
	Params map[string]string
}

// Insert is an INSERT whose data the client sends as blocks after the statement.
type Insert struct {
	Statement
	// Prefix is the statement without its trailing VALUES or FORMAT clause, e.g.
	// "INSERT INTO db.t (a, b) SETTINGS async_insert = 1"; the engine appends FORMAT Native.
	Prefix string
	// Table is the target as written ("db.t", "`my db`.`t`").
	Table string
	// Columns are the listed column names, unquoted; nil means every insertable column.
	Columns []string
}
