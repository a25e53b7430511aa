// Package freshness checks how old the newest row of a source table is against the source's
// warn_after / error_after criteria (dbt's `source freshness`). The age is computed by the
// warehouse, max(loaded_at_field) against its own now(), so the client's clock never matters.
package freshness

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Statuses, with dbt's names.
const (
	Pass  = "pass"
	Warn  = "warn"
	Error = "error"
	// RuntimeError means the check itself failed (missing table or column, bad filter).
	RuntimeError = "runtime error"
)

// Result is one source table's freshness, shaped like an entry of dbt's sources.json.
type Result struct {
	UniqueID      string              `json:"unique_id"`
	Status        string              `json:"status"`
	MaxLoadedAt   string              `json:"max_loaded_at,omitempty"`
	SnapshottedAt string              `json:"snapshotted_at,omitempty"`
	AgeSeconds    float64             `json:"max_loaded_at_time_ago_in_s"`
	Criteria      *manifest.Freshness `json:"criteria"`
	ExecTime      float64             `json:"execution_time"`
	Error         string              `json:"error,omitempty"`
}

// Checkable reports whether n is a source table with freshness criteria and a loaded_at_field.
func Checkable(n *manifest.Node) bool {
	return n.ResourceType == manifest.Source && n.Source != nil && n.Source.Freshness != nil && n.Source.LoadedAtField != ""
}

// Seconds is an age in seconds.
func Seconds(a *manifest.Age) int64 {
	per := map[string]int64{"minute": 60, "hour": 3600, "day": 86400}[a.Period]
	return int64(a.Count) * per
}

// Query returns the SQL that reads the newest loaded_at_field, the warehouse's now, the age in
// seconds and the row count (an empty table has no age).
func Query(n *manifest.Node) string {
	f := n.Source.LoadedAtField
	if isIdent(f) {
		f = manifest.QuoteIdent(f)
	}
	sql := "SELECT toString(max(" + f + ")), toString(now()), dateDiff('second', max(" + f + "), now()), count()\nFROM " + n.Relation()
	if w := strings.TrimSpace(n.Source.Freshness.Filter); w != "" {
		sql += "\nWHERE " + w
	}
	return sql
}

// Status grades an age against the criteria: error_after first, then warn_after.
func Status(age int64, c *manifest.Freshness) string {
	switch {
	case c.ErrorAfter != nil && age > Seconds(c.ErrorAfter):
		return Error
	case c.WarnAfter != nil && age > Seconds(c.WarnAfter):
		return Warn
	}
	return Pass
}

// Check measures one source table on wh.
func Check(ctx context.Context, wh warehouse.Warehouse, n *manifest.Node) Result {
	r := Result{UniqueID: n.UniqueID, Criteria: n.Source.Freshness}
	res, err := wh.Query(ctx, Query(n))
	if err != nil {
		r.Status, r.Error = RuntimeError, fmt.Sprintf("freshness of %s.%s: %v", n.Source.SourceName, n.Name, err)
		return r
	}
	r.ExecTime = res.Stats.Elapsed.Seconds()
	r.SnapshottedAt = res.String(0, 1)
	if res.String(0, 3) == "0" {
		r.Status, r.Error = Error, fmt.Sprintf("%s has no rows%s, so nothing is fresh", n.Relation(), filterNote(n))
		return r
	}
	r.MaxLoadedAt = res.String(0, 0)
	age, err := strconv.ParseInt(res.String(0, 2), 10, 64)
	if err != nil {
		r.Status, r.Error = RuntimeError, fmt.Sprintf("freshness of %s.%s: age %q: %v", n.Source.SourceName, n.Name, res.String(0, 2), err)
		return r
	}
	r.AgeSeconds = float64(age)
	r.Status = Status(age, n.Source.Freshness)
	return r
}

func filterNote(n *manifest.Node) string {
	if f := strings.TrimSpace(n.Source.Freshness.Filter); f != "" {
		return " matching the filter " + f
	}
	return ""
}

// Describe is a one-line account of r for people: the age and the limit it passed or broke.
func Describe(r Result) string {
	if r.Error != "" {
		return r.Error
	}
	msg := "newest row " + r.MaxLoadedAt + ", " + FormatAge(int64(r.AgeSeconds)) + " old"
	c := r.Criteria
	switch r.Status {
	case Error:
		msg += ", older than error_after " + ageText(c.ErrorAfter)
	case Warn:
		msg += ", older than warn_after " + ageText(c.WarnAfter)
	}
	return msg
}

func ageText(a *manifest.Age) string { return fmt.Sprintf("%d %s", a.Count, a.Period) }

// FormatAge renders seconds as 1d2h3m4s, leaving out zero parts.
func FormatAge(s int64) string {
	if s < 0 {
		return "-" + FormatAge(-s)
	}
	var b strings.Builder
	for _, u := range []struct {
		n   int64
		sfx string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}} {
		if s >= u.n {
			fmt.Fprintf(&b, "%d%s", s/u.n, u.sfx)
			s %= u.n
		}
	}
	if s > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}

func isIdent(s string) bool {
	for i, c := range s {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}
