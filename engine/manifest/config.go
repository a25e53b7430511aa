package manifest

import "strings"

// Config is a node's resolved configuration after the cascade (project.yml < folder < YAML < file).
// Raw holds every key as written; the typed fields are the ones dwm itself understands.
type Config struct {
	Enabled      bool     `json:"enabled"`
	Materialized string   `json:"materialized"`
	Tags         []string `json:"tags,omitempty"`
	Database     string   `json:"database,omitempty"`
	Alias        string   `json:"alias,omitempty"`

	// ClickHouse table options.
	Engine      string         `json:"engine,omitempty"`
	OrderBy     string         `json:"order_by,omitempty"`
	PartitionBy string         `json:"partition_by,omitempty"`
	PrimaryKey  string         `json:"primary_key,omitempty"`
	Settings    map[string]any `json:"settings,omitempty"`

	// Incremental models.
	UniqueKey           []string `json:"unique_key,omitempty"`
	IncrementalStrategy string   `json:"incremental_strategy,omitempty"`

	// Seeds.
	ColumnTypes map[string]string `json:"column_types,omitempty"`
	Delimiter   string            `json:"delimiter,omitempty"`

	// Tests.
	Severity      string `json:"severity,omitempty"`
	WarnIf        string `json:"warn_if,omitempty"`
	ErrorIf       string `json:"error_if,omitempty"`
	Where         string `json:"where,omitempty"`
	Limit         int    `json:"limit,omitempty"`
	StoreFailures bool   `json:"store_failures,omitempty"`

	// Raw is every key as configured, including materialization-specific ones.
	Raw map[string]any `json:"raw,omitempty"`
}

// String returns a raw config value as a string, or "" when absent.
func (c Config) String(key string) string {
	if v, ok := c.Raw[key]; ok && v != nil {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return ""
}

// QuoteIdent quotes a ClickHouse identifier with backticks.
func QuoteIdent(s string) string {
	return "`" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "`", "\\`") + "`"
}

// QuoteString quotes a ClickHouse string literal.
func QuoteString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

// ContractEnforced reports whether a config sets contract: {enforced: true}.
func ContractEnforced(raw map[string]any) bool {
	c, ok := raw["contract"].(map[string]any)
	if !ok {
		return false
	}
	v, _ := c["enforced"].(bool)
	return v
}
