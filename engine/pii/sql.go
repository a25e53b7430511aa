package pii

import (
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
)

// LogTable is the erasure log's name in the subject model's database.
const LogTable = "dwm_erasure_log"

// Log events.
const (
	// EventErase records that a subject is erased: for ever, every load and rebuild applies it.
	EventErase = "erase"
	// EventScrubbed records one table's rows scrubbed (the key column is empty: many subjects).
	EventScrubbed = "scrubbed"
)

// LogDDL creates the erasure log. It holds no personal data: the subject's model and key, what
// happened, why, where, which columns, how many rows, and when.
func LogDDL(log string) string {
	return "CREATE TABLE IF NOT EXISTS " + log + " (subject LowCardinality(String), key String, " +
		"event LowCardinality(String), reason String, relation String, columns Array(String), rows UInt64, " +
		"at DateTime) ENGINE = MergeTree ORDER BY (subject, key)"
}

// LogRelation is the quoted erasure log of database db.
func LogRelation(db string) string {
	return manifest.QuoteIdent(db) + "." + manifest.QuoteIdent(LogTable)
}

// ReasonUpstream is the reason of an erasure an upstream DELETE logged: only these wait for the
// subject's erasure window (Subject.Within).
const ReasonUpstream = "upstream delete"

// ErasedKeys is a subquery giving the erased keys of subject (as text).
func ErasedKeys(log, subject string) string {
	return "(SELECT key FROM " + log + " WHERE subject = " + manifest.QuoteString(subject) +
		" AND event = '" + EventErase + "')"
}

// erasedKeysWhere is ErasedKeys narrowed by cond, a condition on the log's columns.
func erasedKeysWhere(log, subject, cond string) string {
	return "(SELECT key FROM " + log + " WHERE subject = " + manifest.QuoteString(subject) +
		" AND event = '" + EventErase + "' AND " + cond + ")"
}

// waited is when an erasure logged at the log row's time has waited secs seconds of a window:
// an upstream deletion waits, a request does not.
func waited(secs uint64) string {
	return "at + toIntervalSecond(if(reason = '" + ReasonUpstream + "', " + strconv.FormatUint(secs, 10) + ", 0))"
}

// RequestSQL logs keys of subject as erased, skipping those already logged, in one INSERT (so a
// crash logs all or none of them).
// With windowed true (the subject has an erasure window), a key an upstream DELETE logged is
// logged again as requested: a request is scrubbed at once, an upstream deletion may wait.
func RequestSQL(log, subject, reason string, keys []string, windowed bool) string {
	var vals []string
	for _, k := range keys {
		vals = append(vals, manifest.QuoteString(k))
	}
	logged := ErasedKeys(log, subject)
	if windowed {
		logged = erasedKeysWhere(log, subject, "reason != '"+ReasonUpstream+"'")
	}
	return "INSERT INTO " + log + " (subject, key, event, reason, at) SELECT " + manifest.QuoteString(subject) +
		", k, '" + EventErase + "', " + manifest.QuoteString(reason) + ", now() FROM (SELECT DISTINCT arrayJoin([" +
		strings.Join(vals, ", ") + "]) AS k) WHERE k NOT IN " + logged
}

// DetectSQL logs as erased the keys whose current version in the subject's relation matches its
// ErasedWhen condition (an upstream DELETE) and are not logged yet.
func DetectSQL(log string, s Subject, relation string, scd2 bool) string {
	key := manifest.QuoteIdent(s.Key)
	where := "(" + s.ErasedWhen + ")"
	if scd2 {
		where = "is_current AND " + where
	}
	return "INSERT INTO " + log + " (subject, key, event, reason, at) SELECT DISTINCT " + manifest.QuoteString(s.Model) +
		", toString(" + key + "), '" + EventErase + "', '" + ReasonUpstream + "', now() FROM " + relation +
		" WHERE " + where + " AND toString(" + key + ") NOT IN " + ErasedKeys(log, s.Model)
}

// Target is one table holding personal data of a subject.
type Target struct {
	Table string // quoted db.table
	Key   string // the subject key column in this table
	// KeyType is the key column's ClickHouse type; empty when unknown.
	KeyType string
	Columns []string
	Log     string // the subject's erasure log
	Subject string
	// Recompute are the columns the table derives from the row's values (hashes), recomputed
	// from the blanked values by the same scrub (materialize.Rehasher).
	Recompute []materialize.Recompute
	// Within is the subject's erasure window in seconds (Subject.Within); 0 for none.
	Within uint64
}

// due is the condition "this row's key is an erasure to apply now": every erased key without a
// window; with one, requests and the upstream deletions that have waited half of it.
func (t Target) due() string { return t.waitedFor(t.Within / 2) }

// overdue is the condition "this row's key should have been erased by now", what pii_erased
// checks: every erased key without a window; with one, requests and the upstream deletions
// logged a whole window ago. Between half and the whole window a build scrubs them, so a
// project built at least every half window never holds an overdue value.
func (t Target) overdue() string { return t.waitedFor(t.Within) }

// waitedFor is "this row's key is an erasure that has waited secs of its window": every erased
// key without a window.
func (t Target) waitedFor(secs uint64) string {
	if t.Within == 0 {
		return t.erased()
	}
	return t.keyIn(erasedKeysWhere(t.Log, t.Subject, waited(secs)+" <= now()"))
}

// erased is the condition "this row's key is an erased key". The log holds keys as text, and a
// key matches when its text is one of them (toString(key) IN keys). For integer and string keys
// the key is compared in its own type (key IN keys): ClickHouse converts the logged texts to the
// key's type and leaves out those that are not that type's text of a value (TestErasedKeyForms:
// '05', '+5', ' 5' and '7.0' match no integer key either way), and no row is converted to text
// first, which was most of a count over a large table.
func (t Target) erased() string { return t.keyIn(ErasedKeys(t.Log, t.Subject)) }

// keyIn is "this row's key is one of keys" (a subquery of logged texts), compared as erased says.
func (t Target) keyIn(keys string) string {
	k := manifest.QuoteIdent(t.Key)
	if !nativeKey(t.KeyType) {
		k = "toString(" + k + ")"
	}
	return k + " IN " + keys
}

// nativeKey reports whether keys of type typ compare with their logged text in their own type
// as they do as text.
func nativeKey(typ string) bool {
	typ = strings.TrimSuffix(strings.TrimPrefix(typ, "LowCardinality("), ")")
	switch typ {
	case "String", "UInt8", "UInt16", "UInt32", "UInt64", "Int8", "Int16", "Int32", "Int64":
		return true
	}
	return false
}

// kept is the condition of a row that still holds a personal value, or a value derived from one.
func (t Target) kept() string {
	var left []string
	for _, c := range t.Columns {
		q := manifest.QuoteIdent(c)
		left = append(left, "NOT ("+q+" <=> defaultValueOfArgumentType("+q+"))")
	}
	for _, r := range t.Recompute {
		left = append(left, manifest.QuoteIdent(r.Column)+" != "+r.Expr)
	}
	return "(" + strings.Join(left, " OR ") + ")"
}

// leftover is the condition of an erased subject's row that still holds a personal value, or a
// value derived from one.
func (t Target) leftover() string { return t.erased() + " AND " + t.kept() }

// where filters on the key first (PREWHERE), then on the personal columns: erased subjects' rows
// are few, and ClickHouse then reads those columns only in the granules that hold one, where
// its own choice read them for every row.
func (t Target) where(cond string) string { return t.whereKey(cond, t.erased()) }

// whereKey is where with key, a condition on the key, in place of erased.
func (t Target) whereKey(cond, key string) string {
	if cond != "" {
		cond += " AND "
	}
	return " PREWHERE " + cond + key + " WHERE " + t.kept()
}

// CountSQL counts the rows of erased subjects that still hold a personal value: those of the
// erasures due now, then all of them (one count without a window).
func (t Target) CountSQL() string {
	if t.Within == 0 {
		return "SELECT count() FROM " + t.Table + t.where("")
	}
	return "SELECT countIf(" + t.due() + "), count() FROM " + t.Table + t.where("")
}

// FailingSQL returns the table's rows that CountSQL counts, as (relation, subject_key): the test
// pii_erased reports them without showing a personal value.
func (t Target) FailingSQL() string {
	return t.failingHead() + t.whereKey("", t.overdue())
}

func (t Target) failingHead() string {
	return "SELECT " + manifest.QuoteString(t.Table) + " AS relation, toString(" + manifest.QuoteIdent(t.Key) +
		") AS subject_key FROM " + t.Table
}

// FailingSQLAfter is FailingSQL for a table whose rows up to batch from (of its batch column col)
// passed the check when every erasure logged before since (a DateTime expression) was applied: its
// newer rows, and its older rows of the subjects erased since then (a subset of the erased keys,
// matched as erased matches them).
func (t Target) FailingSQLAfter(col string, from uint64, since string) string {
	batch := manifest.QuoteIdent(col)
	newly := erasedKeysWhere(t.Log, t.Subject, "at >= "+since)
	if t.Within > 0 {
		// The subjects whose erasure fell overdue since then.
		w := waited(t.Within)
		newly = erasedKeysWhere(t.Log, t.Subject, w+" >= "+since+" AND "+w+" <= now()")
	}
	f := strconv.FormatUint(from, 10)
	return t.failingHead() + t.whereKey(batch+" > "+f, t.overdue()) + "\nUNION ALL\n" +
		t.failingHead() + t.whereKey(batch+" <= "+f, t.keyIn(newly))
}

// ScrubSQL sets every personal column of those rows to its type's default (” for strings, NULL
// for Nullable, zero otherwise), keeping every other column: history, dates, tiers, XP. It is a
// synchronous mutation, idempotent, and ClickHouse keeps a mutation killed half-way and finishes
// it when the table is next loaded; the next run's CountSQL finds whatever is left either way.
func (t Target) ScrubSQL(replicated bool) string {
	var set []string
	for _, c := range t.Columns {
		q := manifest.QuoteIdent(c)
		set = append(set, q+" = defaultValueOfArgumentType("+q+")")
	}
	// ClickHouse evaluates every expression of one UPDATE on the row as it was; the recomputed
	// expressions blank the columns themselves (materialize.BlankedExpr).
	for _, r := range t.Recompute {
		set = append(set, manifest.QuoteIdent(r.Column)+" = "+r.Expr)
	}
	settings := " SETTINGS mutations_sync = 2"
	if replicated {
		settings += ", allow_nondeterministic_mutations = 1"
	}
	return "ALTER TABLE " + t.Table + " UPDATE " + strings.Join(set, ", ") + " WHERE " + t.leftover() + settings
}

// ScrubbedSQL records a scrub in the log.
func (t Target) ScrubbedSQL(rows uint64, reason string) string {
	var cols []string
	for _, c := range t.Columns {
		cols = append(cols, manifest.QuoteString(c))
	}
	// INSERT ... SELECT, not VALUES: servers (dwm serve among them) may refuse expressions in
	// VALUES (input_format_values_interpret_expressions = 0).
	return "INSERT INTO " + t.Log + " (subject, key, event, reason, relation, columns, rows, at) SELECT " +
		manifest.QuoteString(t.Subject) + ", '', '" + EventScrubbed + "', " + manifest.QuoteString(reason) + ", " +
		manifest.QuoteString(t.Table) + ", [" + strings.Join(cols, ", ") + "], " + strconv.FormatUint(rows, 10) + ", now()"
}
