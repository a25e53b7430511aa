package tcp

import (
	"context"
	"io"
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

// Session is one connection's state between statements: its user, the database USE chose, the
// settings SET chose, its temporary tables. Its methods are called one at a time.
type Session interface {
	// Query runs a statement that reads no client data. When the statement returns a result
	// (SELECT, SHOW, DESCRIBE...), out receives it as a stream of Native blocks in the file layout
	// (protocol revision 0), as the engine produces them; a result with no rows is one block
	// that names the columns. Statements without a result (DDL, INSERT ... SELECT, SET, USE)
	// write nothing. An error from out stops the statement.
	Query(ctx context.Context, st Statement, out io.Writer) (warehouse.Stats, error)
	// InsertColumns checks an INSERT that waits for client data and returns the columns it takes,
	// in order; Insert then runs it.
	InsertColumns(ctx context.Context, ins Insert) ([]nativefmt.Column, error)
	// Insert runs ins with data: the client's blocks (Native, file layout, with the columns
	// InsertColumns gave) as they arrive, until io.EOF. The engine should take them as they
	// come rather than all at once, so memory stays bounded; like ClickHouse's own inserts, an
	// insert is atomic per block at most. An error from data (the client cancelled or left) must
	// stop the insert.
	Insert(ctx context.Context, ins Insert, data io.Reader) (warehouse.Stats, error)
	// Close ends the session when the connection closes.
	Close() error
}

// Statement is one query as a client sent it.
type Statement struct {
	// SQL is one statement as the client sent it. Results always travel as Native blocks over
	// this protocol, whatever FORMAT clause it has.
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
	// "INSERT INTO db.t (a, b) SETTINGS async_insert = 1"; the session appends FORMAT Native.
	Prefix string
	// Table is the target as written ("db.t", "`my db`.`t`").
	Table string
	// Columns are the listed column names, unquoted; nil means every insertable column.
	Columns []string
}
