// Package snapshot is dwm's `snapshot` materialization: dbt's snapshots (SCD type 2 history of a
// SELECT whose rows change in place), stored so that a run writes only the versions that changed
// and readers never see half a run. The output relation has dwm's SCD2 columns (valid_from,
// valid_to, is_current, version, is_active), so a snapshot is queried and tested like an scd2
// model.
package snapshot

import (
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
)

// Strategies and hard_deletes modes, as in dbt.
const (
	StrategyTimestamp = "timestamp"
	StrategyCheck     = "check"

	DeletesIgnore     = "ignore"
	DeletesInvalidate = "invalidate"
	DeletesNewRecord  = "new_record"
)

// Reserved are the columns the snapshot adds; the SELECT must not return them.
var reserved = []string{"valid_from", "valid_to", "is_current", "version", "is_active", runCol, closedCol}

const (
	runCol    = "_dwm_run"
	closedCol = "_dwm_closed"
)

// Config is a snapshot's configuration with defaults applied.
type Config struct {
	Keys      []string
	Strategy  string
	UpdatedAt string // timestamp strategy: the column that says when a row last changed
	// CheckCols are the columns compared by the check strategy; CheckAll compares every column
	// but the key.
	CheckCols   []string
	CheckAll    bool
	HardDeletes string
}

// ConfigOf reads and validates n's snapshot configuration.
func ConfigOf(n *manifest.Node) (Config, error) {
	c := Config{Keys: n.Config.UniqueKey, Strategy: n.Config.String("strategy"), UpdatedAt: n.Config.String("updated_at"),
		HardDeletes: n.Config.String("hard_deletes")}
	if len(c.Keys) == 0 {
		return c, fmt.Errorf("a snapshot needs unique_key (one column or a list)")
	}
	if c.HardDeletes == "" {
		c.HardDeletes = DeletesIgnore
		// dbt's older spelling: invalidate_hard_deletes: true.
		if v, ok := n.Config.Raw["invalidate_hard_deletes"].(bool); ok && v {
			c.HardDeletes = DeletesInvalidate
		}
	}
	switch c.HardDeletes {
	case DeletesIgnore, DeletesInvalidate, DeletesNewRecord:
	default:
		return c, fmt.Errorf("hard_deletes must be ignore, invalidate or new_record, got %q", c.HardDeletes)
	}
	switch c.Strategy {
	case StrategyTimestamp:
		if c.UpdatedAt == "" {
			return c, fmt.Errorf("the timestamp strategy needs updated_at (the column that says when a row changed)")
		}
	case StrategyCheck:
		switch v := n.Config.Raw["check_cols"].(type) {
		case string:
			if v == "all" {
				c.CheckAll = true
			} else {
				for _, p := range strings.Split(v, ",") {
					if p = strings.TrimSpace(p); p != "" {
						c.CheckCols = append(c.CheckCols, p)
					}
				}
			}
		case []any:
			for _, x := range v {
				s, ok := x.(string)
				if !ok || strings.TrimSpace(s) == "" {
					return c, fmt.Errorf("check_cols: list items must be column names, got %v", x)
				}
				c.CheckCols = append(c.CheckCols, strings.TrimSpace(s))
			}
		case nil:
		default:
			return c, fmt.Errorf("check_cols must be all or a list of columns, got %v", v)
		}
		if !c.CheckAll && len(c.CheckCols) == 0 {
			return c, fmt.Errorf("the check strategy needs check_cols (a list of columns, or all)")
		}
	case "":
		return c, fmt.Errorf("a snapshot needs strategy: timestamp or check")
	default:
		return c, fmt.Errorf("strategy must be timestamp or check, got %q", c.Strategy)
	}
	return c, nil
}
