package pii

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Eraser applies the erasure log to the warehouse. Every method is idempotent, and each leaves
// the warehouse in a state the next call completes: the log row is the commit point of an
// erasure, and scrubbing always re-reads what is left to scrub.
type Eraser struct {
	WH       warehouse.Warehouse
	Manifest *manifest.Manifest
	Tags     *Tags
	// Exec, when set, runs every statement that changes data (the session logs and may kill
	// there); nil means WH.Exec.
	Exec func(ctx context.Context, sql string) (warehouse.Stats, error)
	// Rehash, when set, says what a model's table derives from a row's values, to recompute
	// when the row is scrubbed (materialize.Registry.Rehash); nil means nothing.
	Rehash func(n *manifest.Node, table string, cols []warehouse.Column, blanked []string) []materialize.Recompute
}

// Scrubbed is one table's scrub.
type Scrubbed struct {
	Table   string
	Columns []string
	Rows    uint64
}

func (e *Eraser) exec(ctx context.Context, sql string) error {
	var err error
	if e.Exec != nil {
		_, err = e.Exec(ctx, sql)
	} else {
		_, err = e.WH.Exec(ctx, sql)
	}
	return err
}

// subjectNode returns the subject declared by model name, with its node.
func (e *Eraser) subjectNode(name string) (Subject, *manifest.Node, error) {
	s, ok := e.Tags.Subject(name)
	n := e.Manifest.ByName(name)
	if !ok || n == nil {
		var names []string
		for _, s := range e.Tags.Subjects {
			names = append(names, s.Model)
		}
		return Subject{}, nil, fmt.Errorf("%s is not a data subject model (models with meta pii_subject: %s)", name, strings.Join(names, ", "))
	}
	return s, n, nil
}

// Request logs keys of the subject model as erased (reason "request") and scrubs every table
// holding personal data. It returns how many keys were newly logged.
func (e *Eraser) Request(ctx context.Context, model string, keys []string) (int, []Scrubbed, error) {
	s, n, err := e.subjectNode(model)
	if err != nil {
		return 0, nil, err
	}
	log := LogRelation(n.Database)
	before, err := e.logged(ctx, log, s.Model)
	if err != nil {
		return 0, nil, err
	}
	if err := e.exec(ctx, RequestSQL(log, s.Model, "request", keys, s.Within > 0)); err != nil {
		return 0, nil, fmt.Errorf("erase %s: log: %w", model, err)
	}
	after, err := e.logged(ctx, log, s.Model)
	if err != nil {
		return 0, nil, err
	}
	done, err := e.Scrub(ctx, e.allModels(), "request")
	return int(after - before), done, err
}

// AfterBuild is run when model was built: it applies the erasure log to the model's tables, and
// for a subject model first logs the keys deleted upstream, then applies the log to every table
// of the project.
func (e *Eraser) AfterBuild(ctx context.Context, model string) ([]Scrubbed, error) {
	n := e.Manifest.ByName(model)
	if n == nil {
		return nil, nil
	}
	if s, ok := e.Tags.Subject(model); ok && s.ErasedWhen != "" {
		log := LogRelation(n.Database)
		before, err := e.logged(ctx, log, s.Model)
		if err != nil {
			return nil, err
		}
		if err := e.exec(ctx, DetectSQL(log, s, n.Relation(), n.Config.Materialized == "scd2")); err != nil {
			return nil, fmt.Errorf("erase upstream deletes of %s: %w", model, err)
		}
		after, err := e.logged(ctx, log, s.Model)
		if err != nil {
			return nil, err
		}
		reason := "load"
		if after > before {
			reason = "upstream delete"
		}
		// Every table, not only new deletions': a run killed after the log row and before the
		// last scrub is finished here even when only the subject model is run again.
		return e.Scrub(ctx, e.allModels(), reason)
	}
	if len(e.Tags.Columns[model]) == 0 {
		return nil, nil
	}
	return e.Scrub(ctx, []string{model}, "load")
}

// logged counts the subject's erased keys; a missing log counts none (and is created).
func (e *Eraser) logged(ctx context.Context, log, subject string) (uint64, error) {
	if err := e.exec(ctx, LogDDL(log)); err != nil {
		return 0, fmt.Errorf("erasure log: %w", err)
	}
	res, err := e.WH.Query(ctx, "SELECT count() FROM "+ErasedKeys(log, subject))
	if err != nil {
		return 0, fmt.Errorf("erasure log: %w", err)
	}
	return strconv.ParseUint(res.String(0, 0), 10, 64)
}

func (e *Eraser) allModels() []string {
	var out []string
	for m := range e.Tags.Columns {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// Targets lists the tables holding personal data of the given models: each model's relation and
// the tables dwm keeps beside it (`<alias>__versions`, `<alias>__quarantine`), MergeTree tables
// only (views read them), for every subject whose key column the table has and whose log exists.
func (e *Eraser) Targets(ctx context.Context, models []string) ([]Target, error) {
	var out []Target
	logs := map[string]bool{}
	for _, s := range e.Tags.Subjects {
		if sn := e.Manifest.ByName(s.Model); sn != nil {
			res, err := e.WH.Query(ctx, "SELECT count() FROM system.tables WHERE database = "+
				manifest.QuoteString(sn.Database)+" AND name = '"+LogTable+"'")
			if err != nil {
				return nil, fmt.Errorf("erasure log: %w", err)
			}
			logs[s.Model] = res.String(0, 0) != "0"
		}
	}
	for _, name := range models {
		n := e.Manifest.ByName(name)
		cols := e.Tags.Names(name)
		if n == nil || len(cols) == 0 {
			continue
		}
		// The columns in order, with their types: what a Rehash recomputes depends on both.
		q := "SELECT c.table, c.name, c.type FROM system.columns AS c INNER JOIN system.tables AS t " +
			"ON c.database = t.database AND c.table = t.name WHERE t.database = " + manifest.QuoteString(n.Database) +
			" AND (t.name = " + manifest.QuoteString(n.Alias) + " OR startsWith(t.name, " + manifest.QuoteString(n.Alias+"__") +
			")) AND t.engine LIKE '%MergeTree' ORDER BY c.table, c.position"
		res, err := e.WH.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("erase: tables of %s: %w", name, err)
		}
		var tables []string
		tableCols := map[string][]warehouse.Column{}
		for i := range res.Rows {
			table := res.String(i, 0)
			if tableCols[table] == nil {
				tables = append(tables, table)
			}
			tableCols[table] = append(tableCols[table], warehouse.Column{Name: res.String(i, 1), Type: res.String(i, 2)})
		}
		for _, table := range tables {
			have := map[string]bool{}
			typeOf := map[string]string{}
			for _, c := range tableCols[table] {
				have[c.Name] = true
				typeOf[c.Name] = c.Type
			}
			var mine []string
			for _, c := range cols {
				if have[c] {
					mine = append(mine, c)
				}
			}
			var derived []materialize.Recompute
			if e.Rehash != nil {
				derived = e.Rehash(n, table, tableCols[table], cols)
			}
			if len(mine) == 0 && len(derived) == 0 {
				continue
			}
			for _, s := range e.Tags.Subjects {
				sn := e.Manifest.ByName(s.Model)
				if sn == nil || !have[s.Key] || !logs[s.Model] {
					continue
				}
				out = append(out, Target{Table: manifest.QuoteIdent(n.Database) + "." + manifest.QuoteIdent(table),
					Key: s.Key, KeyType: typeOf[s.Key], Columns: mine, Log: LogRelation(sn.Database), Subject: s.Model, Recompute: derived,
					Within: uint64(s.Within / time.Second)})
			}
		}
	}
	return out, nil
}

// Scrub blanks the personal values of erased subjects in the tables of the given models, and
// logs each table it changed.
func (e *Eraser) Scrub(ctx context.Context, models []string, reason string) ([]Scrubbed, error) {
	if err := e.ensureLogs(ctx); err != nil {
		return nil, err
	}
	targets, err := e.Targets(ctx, models)
	if err != nil {
		return nil, err
	}
	var done []Scrubbed
	for _, t := range targets {
		res, err := e.WH.Query(ctx, t.CountSQL())
		if err != nil {
			return done, fmt.Errorf("erase %s: %w", t.Table, err)
		}
		// With an erasure window the count is of the erasures due and of all: a table is rewritten
		// when one is due, and the rest ride along in the same rewrite.
		rows, _ := strconv.ParseUint(res.String(0, 0), 10, 64)
		if rows == 0 {
			continue
		}
		if len(res.Columns) > 1 {
			rows, _ = strconv.ParseUint(res.String(0, 1), 10, 64)
		}
		if err := e.exec(ctx, t.ScrubSQL(e.WH.Capabilities().Replicated)); err != nil {
			return done, fmt.Errorf("erase %s: %w", t.Table, err)
		}
		if err := e.exec(ctx, t.ScrubbedSQL(rows, reason)); err != nil {
			return done, fmt.Errorf("erase %s: log: %w", t.Table, err)
		}
		done = append(done, Scrubbed{Table: t.Table, Columns: t.Columns, Rows: rows})
	}
	return done, nil
}

// ensureLogs creates the subjects' logs, so that the scrub queries can read them.
func (e *Eraser) ensureLogs(ctx context.Context) error {
	for _, s := range e.Tags.Subjects {
		if n := e.Manifest.ByName(s.Model); n != nil {
			if err := e.exec(ctx, LogDDL(LogRelation(n.Database))); err != nil {
				return fmt.Errorf("erasure log: %w", err)
			}
		}
	}
	return nil
}
