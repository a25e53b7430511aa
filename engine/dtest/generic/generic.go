// Package generic defines dwm's built-in generic data tests (dbt's four, a few from dbt_utils and
// checks for SCD2 history tables) as pure SQL builders: arguments in, a query returning the failing
// rows out. It imports nothing from the rest of the engine but the manifest, so the project loader
// can validate test names and arguments with it and the test runner can build the SQL.
package generic

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/dwmhq/dwm/engine/manifest"
)

// Input is what a builder needs: where the tested rows are and the test's arguments.
type Input struct {
	// Model is the tested relation as SQL: a quoted name, or a subquery when a where filter applies.
	Model string
	// Column is the column_name of a column test; empty for a model-level test.
	Column string
	// Args are the YAML arguments, as decoded (strings, numbers, bools, lists, maps).
	Args map[string]any
	// To is the relation a relationships test points at (already resolved).
	To string
	// Erasure holds, for pii_erased, one query per table of the tested model that returns the
	// erased subjects' rows still holding a personal value (resolved by the runner, package pii).
	Erasure []string
}

// Def is one built-in generic test.
type Def struct {
	Name string
	// Args lists the arguments the test accepts; Required the ones it cannot do without.
	Args     []string
	Required []string
	// Column says the test needs a column: it is written under columns: or given column_name.
	Column bool
	// Build returns SQL selecting the failing rows. It is pure.
	Build func(in Input) (string, error)
	// Scope says whether the test can check only a relation's new rows (batch-scoped tests).
	Scope Scoping
}

// Scoping is how a test's result over part of a relation relates to its result over the whole.
type Scoping int

const (
	// ScopeNone: the test must read the whole relation (counts, SCD2 sequences, custom SQL).
	ScopeNone Scoping = iota
	// ScopeRows: each row passes or fails on its own, so new rows that pass leave the result
	// over the whole relation unchanged.
	ScopeRows
	// ScopeKey: the test compares rows by a key (unique): new rows must be checked among
	// themselves and against the earlier rows that hold one of their keys.
	ScopeKey
)

// ColumnArgs lists the arguments whose values name columns of the tested relation, so the runner
// can check them against the warehouse before running the SQL and report a misspelling clearly.
func (d *Def) ColumnArgs(args map[string]any) []string {
	var out []string
	for _, k := range []string{"columns", "combination_of_columns", "key", "valid_from", "valid_to", "is_current", "version"} {
		if !d.accepts(k) {
			continue
		}
		v, ok := args[k]
		if !ok {
			if dv, ok := scd2Defaults[k]; ok && strings.HasPrefix(d.Name, "scd2_") {
				out = append(out, dv)
			}
			continue
		}
		out = append(out, toStrings(v)...)
	}
	return out
}

func (d *Def) accepts(arg string) bool {
	for _, a := range d.Args {
		if a == arg {
			return true
		}
	}
	return false
}

// builtins is built per call: no package-level mutable state.
func builtins() map[string]*Def {
	defs := []*Def{
		{Name: "not_null", Column: true, Build: notNull, Scope: ScopeRows},
		{Name: "unique", Column: true, Build: unique, Scope: ScopeKey},
		{Name: "accepted_values", Column: true, Args: []string{"values", "quote"}, Required: []string{"values"}, Build: acceptedValues, Scope: ScopeRows},
		{Name: "relationships", Column: true, Args: []string{"to", "field"}, Required: []string{"to", "field"}, Build: relationships, Scope: ScopeRows},
		{Name: "accepted_range", Column: true, Args: []string{"min", "max", "min_value", "max_value", "inclusive"}, Build: acceptedRange, Scope: ScopeRows},
		{Name: "expression_is_true", Args: []string{"expression"}, Required: []string{"expression"}, Build: expressionIsTrue, Scope: ScopeRows},
		{Name: "unique_combination", Args: []string{"columns"}, Required: []string{"columns"}, Build: uniqueCombination("columns"), Scope: ScopeKey},
		{Name: "unique_combination_of_columns", Args: []string{"combination_of_columns"}, Required: []string{"combination_of_columns"}, Build: uniqueCombination("combination_of_columns"), Scope: ScopeKey},
		{Name: "row_count", Args: []string{"min", "max"}, Build: rowCount},
		{Name: "not_empty", Build: notEmpty},
		{Name: "pii_erased", Build: piiErased},
		{Name: "scd2_one_current_per_key", Args: []string{"key", "is_current"}, Build: scd2OneCurrent},
		{Name: "scd2_no_overlaps", Args: []string{"key", "valid_from", "valid_to"}, Build: scd2NoOverlaps},
		{Name: "scd2_version_sequence", Args: []string{"key", "valid_from", "valid_to", "is_current", "version", "open_valid_to"}, Build: scd2VersionSequence},
	}
	out := make(map[string]*Def, len(defs))
	for _, d := range defs {
		out[d.Name] = d
	}
	return out
}

// builtinTable is built once: the table is immutable, and a project may look it up for each of
// tens of thousands of tests.
var builtinTable = sync.OnceValue(builtins)

// Lookup returns the built-in test called name.
func Lookup(name string) (*Def, bool) {
	d, ok := builtinTable()[name]
	return d, ok
}

// Names lists the built-in tests, sorted.
func Names() []string {
	var out []string
	for n := range builtinTable() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// CheckArgs reports an unknown or missing argument of a built-in test. Errors are plain
// sentences; the loader adds the YAML position.
func (d *Def) CheckArgs(args map[string]any, column string) error {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "column_name" || k == "model" || d.accepts(k) {
			continue
		}
		if len(d.Args) == 0 {
			return fmt.Errorf("test %s takes no arguments, got %q", d.Name, k)
		}
		return fmt.Errorf("test %s has no argument %q (arguments: %s)", d.Name, k, strings.Join(d.Args, ", "))
	}
	for _, k := range d.Required {
		if _, ok := args[k]; !ok {
			return fmt.Errorf("test %s needs the argument %q", d.Name, k)
		}
	}
	if d.Column && column == "" {
		return fmt.Errorf("test %s tests a column: write it under columns: or give column_name", d.Name)
	}
	return nil
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Col quotes a column name; anything that is not a plain identifier is kept as an expression,
// as dbt does with column_name (e.g. "lower(email)").
func Col(s string) string {
	if identRe.MatchString(s) {
		return manifest.QuoteIdent(s)
	}
	return s
}

func toStrings(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out
	case []string:
		return v
	case string:
		var out []string
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	return []string{fmt.Sprint(v)}
}

func cols(v any) string {
	parts := toStrings(v)
	for i, p := range parts {
		parts[i] = Col(p)
	}
	return strings.Join(parts, ", ")
}

func str(args map[string]any, key, def string) string {
	if v, ok := args[key]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return def
}

// piiErased fails for every row of an erased data subject that still holds a personal value, in
// any table of the model (docs/gdpr.md); the failing rows name the table and the subject's key,
// never the value.
func piiErased(in Input) (string, error) {
	if len(in.Erasure) == 0 {
		return "SELECT '' AS relation, '' AS subject_key WHERE 0", nil
	}
	return "SELECT * FROM (" + strings.Join(in.Erasure, "\nUNION ALL\n") + ")", nil
}
