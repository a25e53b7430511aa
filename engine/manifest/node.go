// Package manifest holds dwm's parsed project as plain data: nodes (models, seeds, sources, tests),
// their configuration and their declared dependencies. Nothing here talks to a warehouse; the
// graph keeps only node IDs and looks nodes up here.
package manifest

// ResourceType is the kind of a node, as in dbt.
type ResourceType string

// Resource types.
const (
	Model    ResourceType = "model"
	Seed     ResourceType = "seed"
	Source   ResourceType = "source"
	Test     ResourceType = "test"
	UnitTest ResourceType = "unit_test"
	Snapshot ResourceType = "snapshot"
)

// Node is one parsed resource. Fields are filled by the project loader and never change during a
// run; per-run state lives in the runner.
type Node struct {
	UniqueID     string       `json:"unique_id"` // "<type>.<project>.<name>"; sources: "source.<project>.<source>.<table>"
	Name         string       `json:"name"`
	ResourceType ResourceType `json:"resource_type"`
	// Path is the file that defines the node, relative to the project root with forward slashes.
	Path string `json:"original_file_path"`
	// FQN is the project name, the folders below models/ (or seeds/, tests/) and the node name.
	FQN         []string          `json:"fqn"`
	RawCode     string            `json:"raw_code,omitempty"`
	Checksum    string            `json:"checksum,omitempty"` // sha256 of the file contents
	Config      Config            `json:"config"`
	Description string            `json:"description,omitempty"`
	Columns     []Column          `json:"columns,omitempty"`
	Tests       []TestSpec        `json:"tests,omitempty"` // model-level tests from YAML
	Meta        map[string]any    `json:"meta,omitempty"`
	Refs        []string          `json:"refs,omitempty"`    // names passed to ref, in order of appearance
	Sources     []SourceRef       `json:"sources,omitempty"` // source(...) calls
	DependsOn   []string          `json:"depends_on"`        // unique IDs, sorted
	Database    string            `json:"database"`          // where the relation lives
	Alias       string            `json:"alias"`             // the relation's table name
	Source      *SourceInfo       `json:"source,omitempty"`  // set for sources
	Test        *TestInfo         `json:"test_metadata,omitempty"`
	Extra       map[string]string `json:"-"` // free slots for materializations, not serialized

	// DependsOnMacros are the macros the node calls, directly or through other macros, sorted:
	// state:modified.macros compares their checksums with a previous manifest's.
	DependsOnMacros []string `json:"depends_on_macros,omitempty"`
}

// Relation returns the quoted relation name `db`.`alias`.
func (n *Node) Relation() string { return QuoteIdent(n.Database) + "." + QuoteIdent(n.Alias) }

// Column is documented column metadata from YAML.
type Column struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	DataType    string         `json:"data_type,omitempty"`
	Tests       []TestSpec     `json:"tests,omitempty"`
	Meta        map[string]any `json:"meta,omitempty"`
	Constraints []string       `json:"constraints,omitempty"` // "not_null"; checked under a contract
}

// SourceRef is one {{ source "src" "table" }} call.
type SourceRef struct {
	Source string `json:"source"`
	Table  string `json:"table"`
}

// SourceInfo describes a source table declared in YAML.
type SourceInfo struct {
	SourceName string `json:"source_name"`
	Identifier string `json:"identifier"`
	// LoadedAtField is the column (or expression) that says when a row arrived; freshness
	// compares its maximum with the warehouse's clock.
	LoadedAtField string     `json:"loaded_at_field,omitempty"`
	Freshness     *Freshness `json:"freshness,omitempty"`
}

// Freshness is a source table's freshness criteria, as in dbt: warn or fail when the newest
// row is older than the given age. A nil WarnAfter or ErrorAfter is not checked.
type Freshness struct {
	WarnAfter  *Age   `json:"warn_after,omitempty"`
	ErrorAfter *Age   `json:"error_after,omitempty"`
	Filter     string `json:"filter,omitempty"`
}

// Age is a count of minutes, hours or days.
type Age struct {
	Count  int    `json:"count"`
	Period string `json:"period"`
}

// TestSpec is a test as written in YAML: its name and arguments, plus the place it was written so
// errors can point at it.
type TestSpec struct {
	Name   string         `json:"name"`
	Args   map[string]any `json:"kwargs,omitempty"`
	Config map[string]any `json:"config,omitempty"`
	File   string         `json:"file,omitempty"`
	Line   int            `json:"line,omitempty"`
	Column int            `json:"col,omitempty"`
}

// TestInfo is set on test nodes: which generic test it instantiates and on what.
type TestInfo struct {
	Name       string         `json:"name"` // generic test name; empty for singular tests
	Kwargs     map[string]any `json:"kwargs,omitempty"`
	ColumnName string         `json:"column_name,omitempty"`
	AttachedTo string         `json:"attached_node,omitempty"` // unique ID of the tested node
}
