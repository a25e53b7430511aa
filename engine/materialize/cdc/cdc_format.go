package cdc

import (
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// cdcFormat maps a CDC tool's conventions onto dwm's: which column tells what happened to a row,
// which of its values delete, and which column orders the deliveries. docs/materializations.md
// lists the mappings.
type cdcFormat struct {
	name string
	// op is the default operation column: dwm's op, Debezium's op code, PeerDB's delete flag.
	op string
	// cursor is the default cursor column of a relation input ("" = none: it must be configured).
	cursor string
	// deletes and known turn the quoted op column into SQL booleans: the row deletes its key, and
	// the value is one the tool writes (any other value goes to quarantine).
	deletes, known func(op string) string
	// expected describes the known values, for the quarantine reason.
	expected string
}

const (
	formatDwm      = "dwm"
	formatPeerDB   = "peerdb"
	formatDebezium = "debezium"
)

var formats = map[string]cdcFormat{
	formatDwm: {name: formatDwm, op: "op",
		deletes:  func(op string) string { return "upper(" + text(op) + ") = 'DELETE'" },
		known:    func(op string) string { return "upper(" + text(op) + ") IN ('INSERT', 'UPDATE', 'DELETE')" },
		expected: "INSERT, UPDATE or DELETE"},
	// PeerDB / ClickPipes: no operation column; _peerdb_is_deleted (Int8) is 1 for a delete and
	// _peerdb_version (Int64) grows with every change it writes.
	formatPeerDB: {name: formatPeerDB, op: "_peerdb_is_deleted", cursor: "_peerdb_version",
		deletes:  func(op string) string { return "toInt64(" + op + ") = 1" },
		known:    func(op string) string { return "toInt64(" + op + ") IN (0, 1)" },
		expected: "0 or 1"},
	// Debezium's flattened record (ExtractNewRecordState with add.fields=op): __op is c (create),
	// r (snapshot read), u (update) or d (delete); the Kafka offset orders a one-partition topic.
	formatDebezium: {name: formatDebezium, op: "__op", cursor: "_offset",
		deletes:  func(op string) string { return text(op) + " = 'd'" },
		known:    func(op string) string { return text(op) + " IN ('c', 'r', 'u', 'd')" },
		expected: "c, r, u or d"},
}

// formatOf returns the configured format, or the one the input's columns show when none is
// configured: PeerDB's _peerdb_version, Debezium's __op, otherwise dwm's.
func formatOf(n *manifest.Node, cols []warehouse.Column) (cdcFormat, error) {
	name := strings.ToLower(strings.TrimSpace(n.Config.String("cdc_format")))
	if name == "" {
		name = formatDwm
		switch {
		case hasColumn(cols, "_peerdb_version") && hasColumn(cols, "_peerdb_is_deleted"):
			name = formatPeerDB
		case hasColumn(cols, "__op"):
			name = formatDebezium
		}
	}
	f, ok := formats[name]
	if !ok {
		return f, fmt.Errorf("cdc_format %q: want dwm, peerdb or debezium", name)
	}
	return f, nil
}

// text is a column's value as a plain String: toString keeps LowCardinality, and a boolean over a
// LowCardinality column is a LowCardinality(UInt8), which a table cannot store.
func text(col string) string { return "CAST(" + col + ", 'String')" }
