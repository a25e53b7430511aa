package dbtimport

import (
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/dbtimport/jinja"
)

// configKeys are the dbt configs dwm reads with the same meaning (dbt-clickhouse's names).
var configKeys = map[string]bool{
	"materialized": true, "tags": true, "alias": true, "schema": true, "database": true, "enabled": true,
	"engine": true, "order_by": true, "partition_by": true, "primary_key": true, "unique_key": true,
	"incremental_strategy": true, "full_refresh": true, "pre_hook": true, "post_hook": true,
	"severity": true, "where": true, "limit": true, "warn_if": true, "error_if": true, "store_failures": true,
	"column_types": true, "delimiter": true, "settings": true, "meta": true, "description": true,
	// snapshot configs, read by dwm snapshot (issue 13)
	"strategy": true, "updated_at": true, "check_cols": true, "hard_deletes": true,
}

// droppedKeys are dbt configs with no effect in dwm; the importer drops them and says so.
var droppedKeys = map[string]string{
	"docs":             "docs visibility is not configurable in dwm",
	"persist_docs":     "dwm's handling of descriptions in the warehouse is issue 13's",
	"grants":           "dwm does not manage grants",
	"on_schema_change": "dwm rebuilds or appends; it does not alter an incremental table's columns",
	"quote_columns":    "dwm quotes seed columns itself",
	"target_schema":    "a dwm snapshot is written to the project's database",
	"target_database":  "a dwm snapshot is written to the project's database",
	"query_settings":   "dwm passes target settings, not per-model query settings",
	"contract":         "contracts are issue 13's",
}

// keySet answers which config keys the target dwm reads: the importer's list, or the one given.
type keySet map[string]bool

func configKeySet(keys []string) keySet {
	if keys == nil {
		return nil
	}
	s := keySet{}
	for _, k := range keys {
		s[strings.ReplaceAll(k, "-", "_")] = true
	}
	return s
}

func (s keySet) known(key string) bool {
	if s == nil {
		return configKeys[key]
	}
	return s[key]
}

// dropped reports a key the importer drops, unless the target dwm reads it.
func (s keySet) dropped(key string) (string, bool) {
	why, ok := droppedKeys[key]
	if !ok || s != nil && s[key] {
		return "", false
	}
	return why, true
}

// materializations are the dbt materializations dwm has.
var materializations = map[string]bool{"view": true, "table": true, "incremental": true, "ephemeral": true}

// config converts config(k=v, ...) into dwm's {{ config "k" v ... }}. Values must be literals,
// as dwm reads configs before rendering.
func (c *converter) config(e jinja.Call) (string, error) {
	if len(e.Args) > 0 {
		return "", unconvertible("config with a positional dict has no dwm form; use key=value arguments")
	}
	parts := []string{"config"}
	var materialized, strategy string
	hasKey := false
	for _, k := range e.Kw {
		key := strings.ReplaceAll(k.Name, "-", "_")
		if key == "invalidate_hard_deletes" {
			// dbt's older spelling of hard_deletes='invalidate'.
			if l, ok := k.Val.(jinja.Lit); ok && l.Val == true {
				parts = append(parts, `"hard_deletes"`, `"invalidate"`)
			}
			continue
		}
		if why, ok := c.keys.dropped(key); ok {
			c.note(fmt.Sprintf("config %s dropped: %s", key, why))
			continue
		}
		if !c.keys.known(key) {
			return "", unconvertible("config %s has no dwm equivalent", k.Name)
		}
		v, err := c.configValue(k.Val)
		if err != nil {
			return "", unconvertible("config %s: %v", k.Name, err)
		}
		switch key {
		case "materialized":
			materialized, _ = stringLit(k.Val)
			if !materializations[materialized] {
				return "", unconvertible("materialized=%s has no dwm equivalent (dwm has view, table, incremental, ephemeral)", v)
			}
		case "incremental_strategy":
			s, _ := stringLit(k.Val)
			switch s {
			case "legacy", "default":
				continue // decided below from unique_key
			case "delete_insert", "delete+insert":
				v = `"delete+insert"`
			case "append", "insert_overwrite":
			default:
				return "", unconvertible("incremental_strategy %s has no dwm equivalent", v)
			}
			strategy = s
		case "unique_key":
			hasKey = true
		}
		parts = append(parts, fmt.Sprintf("%q", key), v)
	}
	// dbt-clickhouse's default strategy keeps one row per unique_key (it rebuilds the table);
	// dwm's default appends, so the importer says delete+insert where dbt would have upserted.
	if materialized == "incremental" && strategy == "" && hasKey {
		parts = append(parts, `"incremental_strategy"`, `"delete+insert"`)
	}
	return strings.Join(parts, " "), nil
}

// configValue converts a literal config value; strings holding Jinja (hooks) are converted too.
func (c *converter) configValue(x jinja.Expr) (string, error) {
	switch x := x.(type) {
	case jinja.Lit:
		if s, ok := x.Val.(string); ok && strings.Contains(s, "{") {
			inner := &converter{file: c.file, src: s, macros: c.macros, project: c.project, scopes: []scope{{}}, keys: c.keys}
			out, err := inner.convert()
			if err != nil || len(inner.problems) > 0 {
				return "", fmt.Errorf("the Jinja inside %q does not convert", s)
			}
			return literal(out), nil
		}
		return literal(x.Val), nil
	case jinja.List:
		parts := []string{"list"}
		for _, e := range x.Elems {
			l, ok := e.(jinja.Lit)
			if !ok {
				return "", fmt.Errorf("dwm needs config values as literals")
			}
			parts = append(parts, literal(l.Val))
		}
		return "(" + strings.Join(parts, " ") + ")", nil
	}
	return "", fmt.Errorf("dwm needs config values as literals (it reads them before rendering)")
}

// stringList returns the values of a literal list of strings (or of one string).
func stringList(x jinja.Expr) ([]string, bool) {
	if s, ok := stringLit(x); ok {
		return []string{s}, true
	}
	l, ok := x.(jinja.List)
	if !ok {
		return nil, false
	}
	var out []string
	for _, e := range l.Elems {
		s, ok := stringLit(e)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// kwargs maps a call's arguments onto parameter names, positional first.
func kwargs(e jinja.Call, params ...string) (map[string]jinja.Expr, error) {
	out := map[string]jinja.Expr{}
	if len(e.Args) > len(params) {
		return nil, unconvertible("too many arguments")
	}
	for i, a := range e.Args {
		out[params[i]] = a
	}
	for _, k := range e.Kw {
		if paramIndexOf(params, k.Name) < 0 {
			return nil, unconvertible("argument %s has no dwm form", k.Name)
		}
		out[k.Name] = k.Val
	}
	return out, nil
}

func paramIndexOf(ps []string, n string) int {
	for i, p := range ps {
		if p == n {
			return i
		}
	}
	return -1
}

// dbtUtils writes dbt_utils macros as the plain ClickHouse SQL they expand to, so the converted
// model says what it computes.
func (c *converter) dbtUtils(name string, e jinja.Call) (string, error) {
	switch name {
	case "generate_surrogate_key", "surrogate_key":
		a, err := kwargs(e, "field_list")
		if err != nil {
			return "", err
		}
		fields, ok := stringList(a["field_list"])
		if name == "surrogate_key" && len(e.Args) > 1 {
			fields, ok = nil, true
			for _, x := range e.Args {
				s, isLit := stringLit(x)
				ok = ok && isLit
				fields = append(fields, s)
			}
		}
		if !ok || len(fields) == 0 {
			return "", unconvertible("dbt_utils.%s needs a literal list of columns", name)
		}
		parts := make([]string, len(fields))
		for i, f := range fields {
			parts[i] = fmt.Sprintf("coalesce(toString(%s), '_dbt_utils_surrogate_key_null_')", f)
		}
		return literal(fmt.Sprintf("lower(hex(MD5(concat(%s))))", strings.Join(parts, ", '-', "))), nil
	case "star":
		a, err := kwargs(e, "from", "relation_alias", "except", "prefix", "suffix", "quote_identifiers")
		if err != nil {
			return "", err
		}
		if a["prefix"] != nil || a["suffix"] != nil {
			return "", unconvertible("dbt_utils.star with prefix or suffix needs the relation's columns; list them")
		}
		star := "*"
		if al := a["relation_alias"]; al != nil {
			s, ok := stringLit(al)
			if !ok {
				return "", unconvertible("dbt_utils.star needs a literal relation_alias")
			}
			star = s + ".*"
		}
		if ex := a["except"]; ex != nil {
			cols, ok := stringList(ex)
			if !ok {
				return "", unconvertible("dbt_utils.star needs a literal except list")
			}
			if len(cols) > 0 {
				star += " EXCEPT (" + strings.Join(cols, ", ") + ")"
			}
		}
		return literal(star), nil
	case "date_spine":
		a, err := kwargs(e, "datepart", "start_date", "end_date")
		if err != nil {
			return "", err
		}
		part, ok1 := stringLit(a["datepart"])
		start, ok2 := stringLit(a["start_date"])
		end, ok3 := stringLit(a["end_date"])
		if !ok1 || !ok2 || !ok3 {
			return "", unconvertible("dbt_utils.date_spine needs literal datepart, start_date and end_date")
		}
		interval, ok := intervals[strings.ToLower(part)]
		if !ok {
			return "", unconvertible("dbt_utils.date_spine: datepart %q has no ClickHouse interval", part)
		}
		return literal(fmt.Sprintf("select %s + toInterval%s(number) as date_%s from numbers(toUInt64(dateDiff('%s', %s, %s)))",
			start, interval, part, strings.ToLower(part), start, end)), nil
	case "union_relations":
		return "", unconvertible("dbt_utils.union_relations reads the relations' columns while rendering; write the UNION ALL with the columns listed")
	}
	return "", unconvertible("dbt_utils.%s has no dwm equivalent", name)
}

var intervals = map[string]string{
	"second": "Second", "minute": "Minute", "hour": "Hour", "day": "Day", "week": "Week",
	"month": "Month", "quarter": "Quarter", "year": "Year",
}

// crossDB writes dbt's cross-database macros as the ClickHouse SQL dbt-clickhouse renders.
func (c *converter) crossDB(name string, e jinja.Call) (string, error) {
	lits := make([]string, len(e.Args))
	for i, a := range e.Args {
		l, ok := a.(jinja.Lit)
		if !ok || l.Val == nil {
			return "", unconvertible("dbt.%s needs literal SQL arguments", name)
		}
		lits[i] = fmt.Sprint(l.Val)
	}
	if len(e.Kw) > 0 {
		return "", unconvertible("dbt.%s with keyword arguments has no dwm form", name)
	}
	switch {
	case name == "type_string" && len(lits) == 0:
		return `"String"`, nil
	case name == "type_int" && len(lits) == 0:
		return `"Int32"`, nil
	case name == "type_bigint" && len(lits) == 0:
		return `"Int64"`, nil
	case name == "type_timestamp" && len(lits) == 0:
		return `"DateTime"`, nil
	case name == "current_timestamp" && len(lits) == 0:
		return `"now()"`, nil
	case name == "date_trunc" && len(lits) == 2:
		return literal(fmt.Sprintf("date_trunc('%s', %s)", lits[0], lits[1])), nil
	case name == "dateadd" && len(lits) == 3:
		if iv, ok := intervals[strings.ToLower(lits[0])]; ok {
			return literal(fmt.Sprintf("%s + toInterval%s(%s)", lits[2], iv, lits[1])), nil
		}
	case name == "datediff" && len(lits) == 3:
		return literal(fmt.Sprintf("dateDiff('%s', %s, %s)", lits[2], lits[0], lits[1])), nil
	case name == "hash" && len(lits) == 1:
		return literal(fmt.Sprintf("lower(hex(MD5(%s)))", lits[0])), nil
	case name == "safe_cast" && len(lits) == 2:
		return literal(fmt.Sprintf("accurateCastOrNull(%s, '%s')", lits[0], lits[1])), nil
	}
	return "", unconvertible("dbt.%s has no dwm form here", name)
}
