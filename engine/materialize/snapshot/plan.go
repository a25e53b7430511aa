package snapshot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// openValidTo is the valid_to of an open version, the same sentinel as scd2's.
const openValidTo = "2100-01-01 00:00:00"

// Plan implements materialize.Materialization.
//
// Storage: <name>__versions holds every version ever opened (the SELECT's columns, valid_from,
// the open valid_to, version, is_active, and the run that wrote it); <name>__closed holds one
// row per closed version (key, version, valid_to, run); <name>__runs one row per committed run.
// A run writes only new versions and closings, both tagged with its run number, then commits by
// inserting its runs row (one small INSERT). The view <name> joins versions with closings and
// shows only committed runs, so readers never see half a run; a crashed run's rows are deleted
// by the next run's first steps.
func (Snapshot) Plan(in materialize.Input) ([]materialize.Step, error) {
	if in.Node == nil {
		return nil, fmt.Errorf("materialize: no node")
	}
	p, ok := in.Prepared.(*Prepared)
	if !ok || p == nil {
		return nil, fmt.Errorf("materialize %s: snapshot was not prepared", in.Node.UniqueID)
	}
	if err := materialize.CheckSuffix(in.Suffix); err != nil {
		return nil, fmt.Errorf("materialize %s: %w", in.Node.UniqueID, err)
	}
	return newPlanner(in, p).steps(), nil
}

type planner struct {
	in                                  materialize.Input
	p                                   *Prepared
	target, versions, closed, runs, src materialize.Relation
	cur, last, chg, gone                materialize.Relation
	run                                 string
	now, open                           string // time literals of type p.TimeType
}

func newPlanner(in materialize.Input, p *Prepared) *planner {
	t := materialize.Target(in.Node)
	lit := func(s string) string {
		return "CAST(toDateTime64(" + manifest.QuoteString(s) + ", 3) AS " + p.TimeType + ")"
	}
	return &planner{in: in, p: p, target: t, versions: suffixed(t, versionsSuffix), closed: suffixed(t, closedSuffix),
		runs: suffixed(t, runsSuffix), src: materialize.TempRelation(t, in.Suffix+"src"),
		cur: materialize.TempRelation(t, in.Suffix+"cur"), last: materialize.TempRelation(t, in.Suffix+"last"),
		chg: materialize.TempRelation(t, in.Suffix+"chg"), gone: materialize.TempRelation(t, in.Suffix+"gone"),
		run: strconv.FormatUint(p.Committed+1, 10), now: lit(p.Now), open: lit(openValidTo)}
}

func (pl *planner) steps() []materialize.Step {
	caps := pl.in.Caps
	committed := strconv.FormatUint(pl.p.Committed, 10)
	steps := []materialize.Step{
		materialize.CleanupTemps(pl.target, caps),
		{Purpose: "create " + pl.versions.String(), SQL: pl.createVersions()},
		{Purpose: "create " + pl.closed.String(), SQL: pl.createClosed()},
		{Purpose: "create " + pl.runs.String(), SQL: "CREATE TABLE IF NOT EXISTS " + pl.runs.String() +
			" (run UInt64, snapshot_at DateTime64(3)) ENGINE = MergeTree ORDER BY run"},
		pl.dropUncommitted(pl.versions, committed),
		pl.dropUncommitted(pl.closed, committed),
		{Purpose: "create view " + pl.target.String(), SQL: pl.view()},
		{Purpose: "stage the snapshot's SELECT", SQL: "CREATE TABLE " + pl.src.String() + " ENGINE = MergeTree ORDER BY tuple() AS\n" +
			"SELECT * FROM (\n" + strings.TrimRight(strings.TrimSpace(pl.in.SQL), "; \t\r\n") + "\n)"},
		pl.checkUnique(),
		// The committed state is read through the view once, into two temporary tables that the
		// next statements join; reading the view in each of them cost a join over the history each.
		{Purpose: "read the current versions", SQL: "CREATE TABLE " + pl.cur.String() + " ENGINE = MergeTree ORDER BY (" + pl.keyList() +
			") SETTINGS allow_nullable_key = 1 AS\nSELECT * FROM " + pl.target.String() + " WHERE is_current"},
		{Purpose: "read the last version of each key", SQL: "CREATE TABLE " + pl.last.String() + " ENGINE = MergeTree ORDER BY (" + pl.keyList() +
			") SETTINGS allow_nullable_key = 1 AS\nSELECT " + pl.keyList() + ", max(version) AS version FROM " + pl.target.String() + " GROUP BY " + pl.keyList()},
		{Purpose: "collect the changed rows", SQL: pl.collectChanges()},
	}
	if pl.p.Config.HardDeletes != DeletesIgnore {
		steps = append(steps, materialize.Step{Purpose: "collect the deleted keys", SQL: pl.collectGone()})
	}
	steps = append(steps,
		materialize.Step{Purpose: "write new versions", SQL: pl.insertVersions(), CountRows: true},
		materialize.Step{Purpose: "close changed versions", SQL: pl.insertClosings()})
	if pl.p.Config.HardDeletes == DeletesNewRecord {
		steps = append(steps, materialize.Step{Purpose: "write deletion versions", SQL: pl.insertDeletions(), CountRows: true})
	}
	for _, r := range []materialize.Relation{pl.chg, pl.gone} {
		steps = append(steps, materialize.Step{Purpose: "drop " + r.String(), SQL: "DROP TABLE IF EXISTS " + r.String()})
	}
	return append(steps,
		materialize.Step{Purpose: "commit run " + pl.run, SQL: "INSERT INTO " + pl.runs.String() + " (run, snapshot_at) VALUES (" +
			pl.run + ", toDateTime64(" + manifest.QuoteString(pl.p.Now) + ", 3))"},
		materialize.Step{Purpose: "drop " + pl.src.String(), SQL: "DROP TABLE IF EXISTS " + pl.src.String()},
		materialize.Step{Purpose: "drop " + pl.cur.String(), SQL: "DROP TABLE IF EXISTS " + pl.cur.String()},
		materialize.Step{Purpose: "drop " + pl.last.String(), SQL: "DROP TABLE IF EXISTS " + pl.last.String()})
}

func quoteAll(names []string, prefix string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + manifest.QuoteIdent(n)
	}
	return out
}

func (pl *planner) colNames() []string {
	out := make([]string, len(pl.p.Columns))
	for i, c := range pl.p.Columns {
		out[i] = c.Name
	}
	return out
}

func (pl *planner) keyList() string { return strings.Join(quoteAll(pl.p.Config.Keys, ""), ", ") }

func (pl *planner) createVersions() string {
	var defs []string
	for _, c := range pl.p.Columns {
		defs = append(defs, manifest.QuoteIdent(c.Name)+" "+c.Type)
	}
	t := pl.p.TimeType
	defs = append(defs, "valid_from "+t, "valid_to "+t, "version UInt32", "is_active Bool", runCol+" UInt64")
	return "CREATE TABLE IF NOT EXISTS " + pl.versions.String() + " (" + strings.Join(defs, ", ") +
		") ENGINE = MergeTree ORDER BY (" + pl.keyList() + ", version) SETTINGS allow_nullable_key = 1"
}

func (pl *planner) createClosed() string {
	types := map[string]string{}
	for _, c := range pl.p.Columns {
		types[c.Name] = c.Type
	}
	var defs []string
	for _, k := range pl.p.Config.Keys {
		defs = append(defs, manifest.QuoteIdent(k)+" "+types[k])
	}
	defs = append(defs, "version UInt32", "valid_to "+pl.p.TimeType, runCol+" UInt64")
	return "CREATE TABLE IF NOT EXISTS " + pl.closed.String() + " (" + strings.Join(defs, ", ") +
		") ENGINE = MergeTree ORDER BY (" + pl.keyList() + ", version) SETTINGS allow_nullable_key = 1"
}

// dropUncommitted deletes the rows a crashed run wrote after the last commit; the step costs one
// count when there are none.
func (pl *planner) dropUncommitted(r materialize.Relation, committed string) materialize.Step {
	where := runCol + " > " + committed
	return materialize.Step{
		Purpose: "drop uncommitted rows of " + r.String(),
		SQL:     "SELECT count() FROM " + r.String() + " WHERE " + where,
		Expand: func(res *warehouse.Result) ([]string, error) {
			if res.String(0, 0) == "0" {
				return nil, nil
			}
			return []string{materialize.DeleteWhere(r, where, pl.in.Caps)}, nil
		},
	}
}

// view shows committed versions; a version is current until a committed closing names it.
func (pl *planner) view() string {
	const v, x = "__dwm_v", "__dwm_x"
	last := "(SELECT max(run) FROM " + pl.runs.String() + ")"
	return "CREATE OR REPLACE VIEW " + pl.target.String() + " AS\nSELECT " + strings.Join(aliased(pl.colNames(), v), ", ") +
		",\n  " + v + ".valid_from AS valid_from, if(" + x + "." + closedCol + ", " + x + ".valid_to, " + v + ".valid_to) AS valid_to,\n" +
		"  NOT " + x + "." + closedCol + " AS is_current, " + v + ".version AS version, " + v + ".is_active AS is_active\n" +
		"FROM " + pl.versions.String() + " AS " + v + "\nLEFT ANY JOIN (SELECT " + pl.keyList() + ", version, valid_to, true AS " + closedCol +
		" FROM " + pl.closed.String() + " WHERE " + runCol + " <= " + last + ") AS " + x + "\n  ON " + pl.joinOn(v, x) +
		" AND " + v + ".version = " + x + ".version\nWHERE " + v + "." + runCol + " <= " + last + "\nSETTINGS join_use_nulls = 0"
}

// checkUnique refuses a SELECT that returns a key twice: its history would be ambiguous.
func (pl *planner) checkUnique() materialize.Step {
	keys := pl.keyList()
	return materialize.Step{
		Purpose: "check unique_key",
		SQL:     "SELECT toString(tuple(" + keys + ")), count() AS n FROM " + pl.src.String() + " GROUP BY " + keys + " HAVING n > 1 ORDER BY n DESC LIMIT 3",
		Expand: func(res *warehouse.Result) ([]string, error) {
			if len(res.Rows) == 0 {
				return nil, nil
			}
			var dups []string
			for i := range res.Rows {
				dups = append(dups, res.String(i, 0)+" ("+res.String(i, 1)+" rows)")
			}
			return nil, fmt.Errorf("unique_key (%s) is not unique in the snapshot's SELECT: %s; nothing was written",
				strings.Join(pl.p.Config.Keys, ", "), strings.Join(dups, ", "))
		},
	}
}

func (pl *planner) joinOn(a, b string) string {
	var on []string
	for _, k := range quoteAll(pl.p.Config.Keys, "") {
		on = append(on, a+"."+k+" = "+b+"."+k)
	}
	return strings.Join(on, " AND ")
}

// changed is true when source row s differs from current version c by the strategy.
func (pl *planner) changed() string {
	cfg := pl.p.Config
	if cfg.Strategy == StrategyTimestamp {
		u := manifest.QuoteIdent(cfg.UpdatedAt)
		return srcAlias + "." + u + " > " + curAlias + "." + u
	}
	cols := cfg.CheckCols
	if cfg.CheckAll {
		for _, n := range pl.colNames() {
			if !slices.Contains(cfg.Keys, n) {
				cols = append(cols, n)
			}
		}
	}
	if len(cols) == 0 {
		return "false"
	}
	return "NOT isNotDistinctFrom(tuple(" + strings.Join(quoteAll(cols, srcAlias+"."), ", ") + "), tuple(" + strings.Join(quoteAll(cols, curAlias+"."), ", ") + "))"
}

// Table aliases in the joins: unusual names, since an alias shadows a database of the same name.
const (
	srcAlias  = "__dwm_s"
	curAlias  = "__dwm_c"
	lastAlias = "__dwm_l"
)

// aliased selects alias.col AS col for each column, so a CREATE ... AS SELECT keeps plain names.
func aliased(cols []string, alias string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = alias + "." + manifest.QuoteIdent(c) + " AS " + manifest.QuoteIdent(c)
	}
	return out
}

// Columns of the changes table besides the SELECT's: the key's current version (0: none), whether
// it is active, and the key's last version number (0: never seen).
const (
	curVersionCol = "_dwm_cur_version"
	curActiveCol  = "_dwm_cur_active"
	lastCol       = "_dwm_last_version"
)

// sourceTime is when a change in a source row happened: its updated_at, or the run's time.
func (pl *planner) sourceTime() string {
	if pl.p.Config.Strategy == StrategyTimestamp {
		return manifest.QuoteIdent(pl.p.Config.UpdatedAt)
	}
	return pl.now
}

// collectChanges keeps the source rows that are new, changed, or back after a deletion, with
// what the next statements need to know about their key: one join of the source with the
// current versions for the whole run.
func (pl *planner) collectChanges() string {
	return "CREATE TABLE " + pl.chg.String() + " ENGINE = MergeTree ORDER BY tuple() AS\n" +
		"SELECT " + strings.Join(aliased(pl.colNames(), srcAlias), ", ") + ",\n" +
		"  " + curAlias + ".version AS " + curVersionCol + ", " + curAlias + ".is_active AS " + curActiveCol + ", " + lastAlias + ".version AS " + lastCol + "\n" +
		"FROM " + pl.src.String() + " AS " + srcAlias + "\nLEFT ANY JOIN " + pl.cur.String() + " AS " + curAlias + " ON " + pl.joinOn(srcAlias, curAlias) +
		"\nLEFT ANY JOIN " + pl.last.String() + " AS " + lastAlias + " ON " + pl.joinOn(srcAlias, lastAlias) + "\n" +
		"WHERE NOT " + curAlias + ".is_active OR (" + pl.changed() + ")\nSETTINGS join_use_nulls = 0"
}

// collectGone keeps the active current versions whose key left the source (hard_deletes other
// than ignore).
func (pl *planner) collectGone() string {
	return "CREATE TABLE " + pl.gone.String() + " ENGINE = MergeTree ORDER BY tuple() AS\n" +
		"SELECT * FROM " + pl.cur.String() + "\nWHERE is_active AND (" + pl.keyList() +
		") NOT IN (SELECT " + pl.keyList() + " FROM " + pl.src.String() + ")"
}

func (pl *planner) insertVersionsSQL() string {
	return "INSERT INTO " + pl.versions.String() + " (" + strings.Join(quoteAll(pl.colNames(), ""), ", ") +
		", valid_from, valid_to, version, is_active, " + runCol + ")\n"
}

// insertVersions opens a version for each changed row. A key seen before without an active
// current version (deleted) restarts at the run's time, so its intervals never overlap.
func (pl *planner) insertVersions() string {
	return pl.insertVersionsSQL() + "SELECT " + strings.Join(quoteAll(pl.colNames(), ""), ", ") + ",\n" +
		"  if(" + lastCol + " = 0 OR " + curActiveCol + ", " + pl.sourceTime() + ", " + pl.now + "), " + pl.open + ", " +
		lastCol + " + 1, true, " + pl.run + "\nFROM " + pl.chg.String()
}

// insertClosings closes the current versions replaced by a changed row, and the current versions
// of keys that left the source.
func (pl *planner) insertClosings() string {
	sel := "INSERT INTO " + pl.closed.String() + " (" + pl.keyList() + ", version, valid_to, " + runCol + ")\n" +
		"SELECT " + pl.keyList() + ", " + curVersionCol + ", if(" + curActiveCol + ", " + pl.sourceTime() + ", " + pl.now + "), " + pl.run + "\n" +
		"FROM " + pl.chg.String() + " WHERE " + curVersionCol + " > 0"
	if pl.p.Config.HardDeletes != DeletesIgnore {
		sel += "\nUNION ALL\nSELECT " + pl.keyList() + ", version, " + pl.now + ", " + pl.run + " FROM " + pl.gone.String()
	}
	return sel
}

// insertDeletions (hard_deletes: new_record) adds a final inactive version for each deleted key,
// as scd2 does for a DELETE.
func (pl *planner) insertDeletions() string {
	return pl.insertVersionsSQL() + "SELECT " + strings.Join(quoteAll(pl.colNames(), ""), ", ") + ", " + pl.now + ", " + pl.open +
		", version + 1, false, " + pl.run + "\nFROM " + pl.gone.String()
}
