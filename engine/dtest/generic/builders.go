package generic

import (
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

func notNull(in Input) (string, error) {
	return fmt.Sprintf("SELECT *\nFROM %s\nWHERE %s IS NULL", in.Model, Col(in.Column)), nil
}

// unique and unique_combination_of_columns group twice: first the 64-bit hashes of the keys, then
// the keys themselves, but only those whose hash occurs more than once. A GROUP BY over the keys
// holds every distinct key in memory (1.2 GB for the 5 million string ids of one week's events at
// 200k users, growing with the batch); one over their hashes holds 8 bytes a key, and the second
// pass compares the real keys, so a hash collision costs a row read, never a wrong answer.
// Measured in docs/benchmarks-warehouse.md (seventh session): faster as well as smaller.
func unique(in Input) (string, error) {
	c := Col(in.Column)
	return fmt.Sprintf("SELECT %s AS unique_field, count() AS n_records\nFROM %s\nWHERE %s IS NOT NULL\n  AND %s\nGROUP BY %s\nHAVING count() > 1\nSETTINGS %s",
		c, in.Model, c, repeatedHashes(KeyHash("unique", c), in.Model, c+" IS NOT NULL"), c, warehouse.BoundedSetSettings), nil
}

// KeyHash is the 64-bit hash a uniqueness test (by name) groups its key by, given the key's
// quoted columns joined with commas: unique hashes its one column (it leaves NULL keys out);
// a combination hashes the tuple, as cityHash64 of several arguments is NULL when one is, while
// a tuple's hash is not and tells NULL from the other values, as the GROUP BY does. A batch
// scope matches earlier rows on the same hash (dtest's batchScope.model).
func KeyHash(name, cols string) string {
	if name == "unique" {
		return "cityHash64(" + cols + ")"
	}
	return "cityHash64(tuple(" + cols + "))"
}

// repeatedHashes is the condition that hash, computed on each row of model that passes where, is
// shared by more than one such row.
func repeatedHashes(hash, model, where string) string {
	if where != "" {
		where = " WHERE " + where
	}
	return fmt.Sprintf("%s IN (SELECT %s AS _h FROM %s%s GROUP BY _h HAVING count() > 1)", hash, hash, model, where)
}

func acceptedValues(in Input) (string, error) {
	vals, ok := in.Args["values"].([]any)
	if !ok || len(vals) == 0 {
		return "", fmt.Errorf("accepted_values: values must be a non-empty list")
	}
	quote := true
	if q, ok := in.Args["quote"]; ok {
		b, isBool := q.(bool)
		if !isBool {
			return "", fmt.Errorf("accepted_values: quote must be true or false")
		}
		quote = b
	}
	lits := make([]string, len(vals))
	for i, v := range vals {
		if quote {
			lits[i] = manifest.QuoteString(fmt.Sprint(v))
		} else {
			lits[i] = fmt.Sprint(v)
		}
	}
	c := Col(in.Column)
	return fmt.Sprintf("SELECT %s AS value_field, count() AS n_records\nFROM %s\nWHERE %s NOT IN (%s)\nGROUP BY %s",
		c, in.Model, c, strings.Join(lits, ", "), c), nil
}

func relationships(in Input) (string, error) {
	if in.To == "" {
		return "", fmt.Errorf("relationships: the `to` relation is not resolved")
	}
	c, f := Col(in.Column), Col(str(in.Args, "field", ""))
	// When the child is read through a key condition (a batch-scoped test filters on the
	// partition column), ClickHouse prepares the parent's set for index analysis too, which took
	// 0.29-0.46 s instead of 0.06-0.09 s for one week's clickstream against users at 200k users
	// (docs/benchmarks-warehouse.md, "Sixth session"). A NOT IN set can almost never skip a
	// granule (all of its values would have to be in the set), so the index is not asked.
	return fmt.Sprintf("SELECT %s AS from_field\nFROM %s\nWHERE %s IS NOT NULL\n  AND %s NOT IN (SELECT %s FROM %s WHERE %s IS NOT NULL)\nSETTINGS use_index_for_in_with_subqueries = 0",
		c, in.Model, c, c, f, in.To, f), nil
}

func acceptedRange(in Input) (string, error) {
	lo := str(in.Args, "min", str(in.Args, "min_value", ""))
	hi := str(in.Args, "max", str(in.Args, "max_value", ""))
	if lo == "" && hi == "" {
		return "", fmt.Errorf("accepted_range needs min, max or both")
	}
	inclusive := true
	if v, ok := in.Args["inclusive"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return "", fmt.Errorf("accepted_range: inclusive must be true or false")
		}
		inclusive = b
	}
	ge, le := ">=", "<="
	if !inclusive {
		ge, le = ">", "<"
	}
	c := Col(in.Column)
	var conds []string
	if lo != "" {
		conds = append(conds, fmt.Sprintf("%s %s %s", c, ge, lo))
	}
	if hi != "" {
		conds = append(conds, fmt.Sprintf("%s %s %s", c, le, hi))
	}
	return fmt.Sprintf("SELECT *\nFROM %s\nWHERE NOT (%s)", in.Model, strings.Join(conds, " AND ")), nil
}

func expressionIsTrue(in Input) (string, error) {
	expr := str(in.Args, "expression", "")
	if in.Column != "" {
		// dbt_utils prefixes the column, so `expression: ">= 0"` reads naturally under a column.
		expr = Col(in.Column) + " " + expr
	}
	return fmt.Sprintf("SELECT *\nFROM %s\nWHERE NOT (%s)", in.Model, expr), nil
}

func uniqueCombination(arg string) func(Input) (string, error) {
	return func(in Input) (string, error) {
		c := cols(in.Args[arg])
		if c == "" {
			return "", fmt.Errorf("%s must list at least one column", arg)
		}
		return fmt.Sprintf("SELECT %s, count() AS n_records\nFROM %s\nWHERE %s\nGROUP BY %s\nHAVING count() > 1\nSETTINGS %s",
			c, in.Model, repeatedHashes(KeyHash("unique_combination", c), in.Model, ""), c, warehouse.BoundedSetSettings), nil
	}
}

// rowCount returns one row (the count) when it is out of bounds; failures are then 1.
func rowCount(in Input) (string, error) {
	lo, hi := str(in.Args, "min", ""), str(in.Args, "max", "")
	if lo == "" && hi == "" {
		return "", fmt.Errorf("row_count needs min, max or both")
	}
	var conds []string
	if lo != "" {
		conds = append(conds, "row_count >= "+lo)
	}
	if hi != "" {
		conds = append(conds, "row_count <= "+hi)
	}
	return fmt.Sprintf("SELECT row_count\nFROM (SELECT count() AS row_count FROM %s)\nWHERE NOT (%s)", in.Model, strings.Join(conds, " AND ")), nil
}

func notEmpty(in Input) (string, error) {
	return fmt.Sprintf("SELECT row_count\nFROM (SELECT count() AS row_count FROM %s)\nWHERE row_count = 0", in.Model), nil
}
