package materialize

import (
	"fmt"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Kind is what the relation named by a node currently is in the warehouse.
type Kind int

// Relation kinds as Inspect reports them.
const (
	// Absent means no table or view of that name exists.
	Absent Kind = iota
	// Table is any table engine (MergeTree family, Memory, Log, ...).
	Table
	// View is a plain (non-materialized) view.
	View
	// Other is something dwm must not replace silently: a materialized view, a dictionary, ...
	Other
)

func (k Kind) String() string {
	switch k {
	case Absent:
		return "absent"
	case Table:
		return "table"
	case View:
		return "view"
	default:
		return "other"
	}
}

// State is the target relation as it was before the run. Plans branch on it, so reading it
// (Inspect) is the only warehouse access that happens before planning.
type State struct {
	Kind Kind
	// Engine is system.tables.engine, e.g. "MergeTree" or "View"; empty when Absent.
	Engine string
	// Columns are the insertable columns in table order (MATERIALIZED and ALIAS columns are left
	// out because an INSERT cannot name them).
	Columns []warehouse.Column
	// Keys are the table's sorting, partition and primary key expressions as the engine prints
	// them (system.tables; "" for none), for telling a changed config from the table (KeyDrift).
	Keys TableKeyExprs
}

// TableKeyExprs are a table's key expressions as system.tables prints them.
type TableKeyExprs struct {
	SortingKey, PartitionKey, PrimaryKey string
}

// Input is everything a materialization may look at.
type Input struct {
	Node *manifest.Node
	// SQL is the compiled SELECT, without a trailing semicolon.
	SQL   string
	State State
	// FullRefresh rebuilds incremental models from scratch.
	FullRefresh bool
	Caps        warehouse.Capabilities
	// Suffix makes temporary names unique per run. It must be non-empty ASCII letters and digits,
	// so that the leftover cleanup of model "a" can never match the temporary tables of "a_b".
	Suffix string
	// Prepared holds what the materialization's Preparer read before planning (files to load,
	// ledger rows); nil for materializations without one. Its type is the materialization's own.
	Prepared any
	// Erasures are the data subjects' erasure logs that apply to the model's incoming rows: the
	// staging and fact loads blank erased subjects' personal values as they read a file, and scd2
	// before comparing changes (BlankErased). Others ignore it: the erasure log is applied to
	// their tables after the build.
	Erasures []Erasure
}

// Relation is a database-qualified table or view name.
type Relation struct {
	Database string
	Name     string
}

// String returns the quoted `db`.`name` form used in SQL.
func (r Relation) String() string {
	return manifest.QuoteIdent(r.Database) + "." + manifest.QuoteIdent(r.Name)
}

// Target returns the relation a node builds.
func Target(n *manifest.Node) Relation { return Relation{Database: n.Database, Name: n.Alias} }

// tempPrefix starts every temporary table dwm creates; cleanup matches on it.
const tempPrefix = "__dwm_tmp_"

// TempRelation is the temporary table a run builds for target before swapping it in.
func TempRelation(target Relation, suffix string) Relation {
	return Relation{Database: target.Database, Name: tempPrefix + target.Name + "_" + suffix}
}

// checkInput validates what every plan relies on.
func checkInput(in Input) error {
	if in.Node == nil {
		return fmt.Errorf("materialize: no node")
	}
	if in.Node.Database == "" || in.Node.Alias == "" {
		return fmt.Errorf("materialize %s: database and alias must be set", in.Node.UniqueID)
	}
	if err := CheckSuffix(in.Suffix); err != nil {
		return fmt.Errorf("materialize %s: %w", in.Node.UniqueID, err)
	}
	return nil
}

// CheckSuffix reports whether s can be used as a run suffix for temporary names.
func CheckSuffix(s string) error {
	if s == "" {
		return fmt.Errorf("empty run suffix")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return fmt.Errorf("run suffix %q: only ASCII letters and digits are allowed", s)
		}
	}
	return nil
}
