package pii

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
)

// CheckedTable records the table states an erasure count found clean, in the subject model's
// database beside the log. A build counts the erased subjects' values left in every table holding
// personal data after the subject model is built, and each model's own tables after it is built;
// with an erasure window most of those counts find nothing due, in tables no build has touched
// since the last count. A state is a hash of what decides a count's answer, so a table whose
// state was recorded clean is not counted again:
//
//   - the count itself (table, key, personal and derived columns, log, subject, window: CountSQL),
//   - the table's contents: its UUID and its active parts' names and rows (ClickHouse never gives a
//     part a name twice in a table, and every write, merge or mutation makes new parts), and
//   - the erasures due: the distinct keys due now (a request, an upstream deletion, one that has
//     waited half the window), by count and two sums of hashes.
//
// A record is a fact about a state, never made false later, so a record found again after a kill
// (or lost to the TTL) cannot hide a leftover; the table needs no delete. No hash of a personal
// value is kept: states hash keys, which the log holds in clear. Records are written only after a
// count (not after a scrub, whose table a concurrent writer could have changed before its state
// was read), and never on a cluster or replicated target, where one node's system.parts does not
// show every write.
const CheckedTable = "dwm_erasure_checked"

// CheckedRelation is the quoted record of clean states of database db.
func CheckedRelation(db string) string {
	return manifest.QuoteIdent(db) + "." + manifest.QuoteIdent(CheckedTable)
}

// CheckedDDL creates the record of clean states. Old states are of tables changed since; the TTL
// drops them (a dropped record costs one count).
func CheckedDDL(rel string) string {
	return "CREATE TABLE IF NOT EXISTS " + rel + " (subject LowCardinality(String), relation String, state String, " +
		"at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree(at) ORDER BY (subject, relation, state) TTL at + INTERVAL 90 DAY"
}

// DueSetSQL fingerprints the target's erasures due now: the distinct keys, their count and two
// sums of hashes (a collision would have to hold for both).
func (t Target) DueSetSQL() string {
	return "SELECT count(), sum(cityHash64(key)), sum(sipHash64(key)) FROM (SELECT DISTINCT key FROM " + t.keysWaited(t.Within/2) + ")"
}

// tableStates are the targets' states, and which of them a record says are clean.
type tableStates struct {
	targets []Target
	state   []string // per target; empty when its state cannot be known (no skip, no record)
	known   []bool   // per target: its state was recorded clean
}

func (s tableStates) clean(i int) bool { return s.known != nil && s.known[i] }

// skips reports whether records of clean states are read and written on this target.
func (e *Eraser) skips() bool {
	c := e.WH.Capabilities()
	return c.Cluster == "" && !c.Replicated && !c.Sharded
}

// states reads the targets' states (before their counts: a change after the read makes a state
// no later read gives) and which of them are recorded clean.
func (e *Eraser) states(ctx context.Context, targets []Target) (tableStates, error) {
	if len(targets) == 0 || !e.skips() {
		return tableStates{}, nil
	}
	tables, err := e.tableContents(ctx, targets)
	if err != nil {
		return tableStates{}, err
	}
	due := map[string]string{}
	out := tableStates{targets: targets, state: make([]string, len(targets)), known: make([]bool, len(targets))}
	byRel := map[string][]string{} // checked relation -> states to look up
	for i, t := range targets {
		contents, ok := tables[t.db+"."+t.name]
		if !ok {
			continue
		}
		q := t.DueSetSQL()
		if _, ok := due[q]; !ok {
			res, err := e.WH.Query(ctx, q)
			if err != nil {
				return tableStates{}, fmt.Errorf("erase: erasures due: %w", err)
			}
			due[q] = res.String(0, 0) + "," + res.String(0, 1) + "," + res.String(0, 2)
		}
		h := sha256.Sum256([]byte(t.CountSQL() + "\x00" + contents + "\x00" + due[q]))
		out.state[i] = hex.EncodeToString(h[:])
		byRel[t.Checked] = append(byRel[t.Checked], out.state[i])
	}
	recorded := map[string]bool{}
	for rel, states := range byRel {
		if err := e.exec(ctx, CheckedDDL(rel)); err != nil {
			return tableStates{}, fmt.Errorf("erase: record of clean tables: %w", err)
		}
		res, err := e.WH.Query(ctx, "SELECT DISTINCT state FROM "+rel+" WHERE state IN ("+quoteAll(states)+")")
		if err != nil {
			return tableStates{}, fmt.Errorf("erase: record of clean tables: %w", err)
		}
		for i := range res.Rows {
			recorded[res.String(i, 0)] = true
		}
	}
	for i, s := range out.state {
		out.known[i] = s != "" && recorded[s]
	}
	return out, nil
}

// tableContents reads, per table ("db.name") of the targets, its UUID and its active parts'
// names and rows. A table without a UUID (an Ordinary database: a table dropped and created again
// would start its part names over) is left out.
func (e *Eraser) tableContents(ctx context.Context, targets []Target) (map[string]string, error) {
	dbs, names := map[string]bool{}, map[string]bool{}
	for _, t := range targets {
		dbs[t.db], names[t.name] = true, true
	}
	where := " WHERE database IN (" + quoteAll(slices.Sorted(maps.Keys(dbs))) + ") AND %s IN (" + quoteAll(slices.Sorted(maps.Keys(names))) + ")"
	res, err := e.WH.Query(ctx, "SELECT database || '.' || name, toString(uuid) FROM system.tables"+fmt.Sprintf(where, "name"))
	if err != nil {
		return nil, fmt.Errorf("erase: tables: %w", err)
	}
	out := map[string]string{}
	for i := range res.Rows {
		if uuid := res.String(i, 1); uuid != "00000000-0000-0000-0000-000000000000" && uuid != "" {
			out[res.String(i, 0)] = uuid
		}
	}
	res, err = e.WH.Query(ctx, "SELECT database || '.' || table, arrayStringConcat(arraySort(groupArray(name || ':' || toString(rows))), ' ') "+
		"FROM system.parts"+fmt.Sprintf(where, "table")+" AND active GROUP BY database, table")
	if err != nil {
		return nil, fmt.Errorf("erase: parts: %w", err)
	}
	for i := range res.Rows {
		if uuid, ok := out[res.String(i, 0)]; ok {
			out[res.String(i, 0)] = uuid + " " + res.String(i, 1)
		}
	}
	return out, nil
}

// record notes the states of the targets (indexes) whose count found nothing due.
func (e *Eraser) record(ctx context.Context, states tableStates, clean []int) error {
	rows := map[string][]string{}
	for _, i := range clean {
		if states.state == nil || states.state[i] == "" {
			continue
		}
		t := states.targets[i]
		rows[t.Checked] = append(rows[t.Checked], "("+quoteAll([]string{t.Subject, t.Table, states.state[i]})+")")
	}
	for _, rel := range slices.Sorted(maps.Keys(rows)) {
		// Plain literals in VALUES: servers may refuse expressions there (ScrubbedSQL).
		if err := e.exec(ctx, "INSERT INTO "+rel+" (subject, relation, state) VALUES "+strings.Join(rows[rel], ", ")); err != nil {
			return fmt.Errorf("erase: record of clean tables: %w", err)
		}
	}
	return nil
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = manifest.QuoteString(s)
	}
	return strings.Join(q, ", ")
}
