// Package warehouse defines what dwm needs from a ClickHouse target. Materializations and the
// runner speak only to these interfaces; the embedded engine (package chdb) and a ClickHouse
// server (package server) implement them with the same SQL dialect.
package warehouse

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Warehouse is one open target. Implementations must be safe for concurrent use by the runner's
// worker goroutines; each call runs exactly one SQL statement.
type Warehouse interface {
	// Exec runs one statement that returns no rows (DDL, INSERT ... SELECT).
	Exec(ctx context.Context, sql string) (Stats, error)
	// Query runs one statement and returns all of its rows. Callers bound the size with LIMIT.
	Query(ctx context.Context, sql string) (*Result, error)
	// Capabilities tells materializations what the target can do, so they never branch on its kind.
	Capabilities() Capabilities
	// Version is the server version string, e.g. "26.7.2.1".
	Version(ctx context.Context) (string, error)
	// Close releases connections and locks. It is safe to call more than once.
	Close() error
}

// Capabilities are the features a target declares.
type Capabilities struct {
	// Kind names the implementation ("chdb", "clickhouse") for messages only.
	Kind string
	// ReadsLocalFiles is true when the file() table function sees this process's files,
	// so seeds and CDC batches load with INSERT ... SELECT FROM file(...) and no client streaming.
	ReadsLocalFiles bool
	// ExchangeTables is true when EXCHANGE TABLES swaps two tables atomically (Atomic databases).
	ExchangeTables bool
	// Cluster names the cluster of a multi-node target as the servers' remote_servers define it;
	// empty for one node. DDL runs ON CLUSTER it (unless ReplicatedDatabase), SYSTEM SYNC REPLICA
	// and cluster-wide reads (clusterAllReplicas, s3Cluster) name it.
	Cluster string
	// Replicated means every table dwm creates uses the Replicated variant of its MergeTree engine,
	// so rows written on one node reach every replica of its shard; plans then wait for the
	// replicas (SYSTEM SYNC REPLICA) before anything reads the rows through another node.
	Replicated bool
	// Sharded means a relation is a local table `<name>_local` on every node plus a Distributed
	// table `<name>` over them: rows are written through the Distributed table, which sends each
	// to one shard by ShardingKey, and partition operations address the local tables.
	Sharded bool
	// ShardingKey is the Distributed tables' default sharding expression (a model's
	// `sharding_key` config overrides it); used only when Sharded.
	ShardingKey string
	// ReplicatedDatabase means databases use the Replicated database engine, which replicates
	// table DDL itself: table DDL then carries no ON CLUSTER (ClickHouse rejects it there).
	ReplicatedDatabase bool
}

// Stats are what the engine reports for one statement.
type Stats struct {
	RowsRead    uint64
	RowsWritten uint64
	Elapsed     time.Duration // engine-side time when the target reports it, else wall time
}

// Column is a result column name and its ClickHouse type.
type Column struct {
	Name string
	Type string
}

// Result is a fully read query result. Each value is nil for NULL or the value's text form as
// ClickHouse prints it in TSV/CSV (numbers as decimal text, dates as YYYY-MM-DD, arrays as [..]).
// Text keeps both targets identical and is all that dwm's display, tests and diffs need.
type Result struct {
	Columns []Column
	Rows    [][]any
	Stats   Stats
}

// String returns the value at row r, column c as text; NULL becomes "NULL".
func (r *Result) String(row, col int) string {
	v := r.Rows[row][col]
	if v == nil {
		return "NULL"
	}
	return fmt.Sprint(v)
}

// ErrLibraryNotFound means the embedded engine's shared library could not be located.
var ErrLibraryNotFound = errors.New("libchdb not found")

// ErrLocked means another process holds the warehouse's data directory.
var ErrLocked = errors.New("warehouse is in use by another process")

// QueryError is an error ClickHouse returned for a statement. The SQL is kept so callers can
// print it next to the model name; it never contains credentials.
type QueryError struct {
	Code    int    // ClickHouse error code, 0 when unknown
	Name    string // e.g. UNKNOWN_TABLE, empty when unknown
	Message string
	SQL     string
}

func (e *QueryError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("clickhouse error %d: %s", e.Code, e.Message)
	}
	return "clickhouse error: " + e.Message
}
