package materialize

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
)

// tableKeys are the config keys every materialization that creates a table accepts.
var tableKeys = []string{"engine", "order_by", "partition_by", "primary_key", "settings", "sharding_key"}

// TableKeys returns the ClickHouse table config keys (engine, order_by, partition_by,
// primary_key, settings), for materializations and seeds that create tables.
func TableKeys() []string { return append([]string(nil), tableKeys...) }

// TableClause renders the ENGINE ... ORDER BY ... PARTITION BY ... PRIMARY KEY ... SETTINGS part
// of a CREATE TABLE from a node's config. The engine defaults to MergeTree and order_by to
// tuple(); key expressions given as YAML lists become "(a, b)". Key clauses are rejected for
// engines outside the MergeTree family, where ClickHouse would reject them less clearly.
func TableClause(cfg manifest.Config) (string, error) {
	engine := strings.TrimSpace(cfg.Engine)
	if engine == "" {
		engine = "MergeTree"
	}
	orderBy, err := keyExpr(cfg, "order_by", cfg.OrderBy)
	if err != nil {
		return "", err
	}
	partitionBy, err := keyExpr(cfg, "partition_by", cfg.PartitionBy)
	if err != nil {
		return "", err
	}
	primaryKey, err := keyExpr(cfg, "primary_key", cfg.PrimaryKey)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("ENGINE = " + engine)
	if strings.Contains(engine, "MergeTree") {
		if partitionBy != "" {
			b.WriteString(" PARTITION BY " + partitionBy)
		}
		if primaryKey != "" {
			b.WriteString(" PRIMARY KEY " + primaryKey)
		}
		if orderBy == "" {
			orderBy = "tuple()"
		}
		b.WriteString(" ORDER BY " + orderBy)
	} else if orderBy != "" || partitionBy != "" || primaryKey != "" {
		return "", fmt.Errorf("engine %s takes no order_by, partition_by or primary_key", engine)
	}
	settings, err := settingsClause(cfg.Settings)
	if err != nil {
		return "", err
	}
	b.WriteString(settings)
	return b.String(), nil
}

// PartitionExpr is the partition_by expression of a config, normalised like TableClause does;
// "" when the model is not partitioned.
func PartitionExpr(cfg manifest.Config) (string, error) {
	return keyExpr(cfg, "partition_by", cfg.PartitionBy)
}

// OrderByExpr is the order_by expression of a config, normalised like TableClause does; "" when
// none is given.
func OrderByExpr(cfg manifest.Config) (string, error) {
	return keyExpr(cfg, "order_by", cfg.OrderBy)
}

// keyExpr prefers a list in Raw (YAML `order_by: [a, b]`) over the typed string, because the
// loader can only store a list's first form in Raw.
func keyExpr(cfg manifest.Config, key, typed string) (string, error) {
	raw, ok := cfg.Raw[key]
	if !ok || raw == nil {
		return strings.TrimSpace(typed), nil
	}
	var items []string
	switch v := raw.(type) {
	case string:
		return strings.TrimSpace(v), nil
	case []string:
		items = v
	case []any:
		for _, it := range v {
			s, ok := it.(string)
			if !ok {
				return "", fmt.Errorf("%s: list items must be strings, got %T", key, it)
			}
			items = append(items, s)
		}
	default:
		return "", fmt.Errorf("%s: want a string or a list of strings, got %T", key, raw)
	}
	if len(items) == 0 {
		return "tuple()", nil
	}
	for i := range items {
		items[i] = strings.TrimSpace(items[i])
	}
	return "(" + strings.Join(items, ", ") + ")", nil
}

// settingsClause renders table settings sorted by name, so the SQL is stable for golden tests.
func settingsClause(settings map[string]any) (string, error) {
	if len(settings) == 0 {
		return "", nil
	}
	names := make([]string, 0, len(settings))
	for k := range settings {
		if !isIdent(k) {
			return "", fmt.Errorf("settings: %q is not a setting name", k)
		}
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		v, err := settingValue(settings[k])
		if err != nil {
			return "", fmt.Errorf("settings: %s: %w", k, err)
		}
		parts[i] = k + " = " + v
	}
	return " SETTINGS " + strings.Join(parts, ", "), nil
}

func settingValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return manifest.QuoteString(x), nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	default:
		return "", fmt.Errorf("unsupported value %v (%T)", v, v)
	}
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
