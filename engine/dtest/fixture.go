package dtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
)

// Fixture is rows to turn into an inline relation, with the column types known for it (from the
// warehouse or YAML data_type). Columns not in Types get a type inferred from their values.
type Fixture struct {
	Columns []string
	Rows    []map[string]any
	Types   map[string]string
	// TypedColumns are every column of the relation in order when known, so columns the rows
	// leave out still exist (with NULL or the type's default), as dbt fills them with NULL.
	TypedColumns []string
}

// SQL returns a SELECT producing the fixture's rows: one SELECT of casted literals per row joined
// with UNION ALL, or an empty typed SELECT when there are no rows. It is pure.
func (f Fixture) SQL() (string, error) {
	cols := f.TypedColumns
	if len(cols) == 0 {
		cols = f.Columns
	} else {
		known := map[string]bool{}
		for _, c := range cols {
			known[c] = true
		}
		for _, c := range f.Columns {
			if !known[c] {
				return "", fmt.Errorf("column %q is not a column of this input (columns: %s)", c, strings.Join(cols, ", "))
			}
		}
	}
	if len(cols) == 0 {
		return "", fmt.Errorf("no columns: give at least one row, or declare the columns with data_type in YAML")
	}
	types := make([]string, len(cols))
	for i, c := range cols {
		t, err := f.columnType(c)
		if err != nil {
			return "", err
		}
		types[i] = t
	}
	if len(f.Rows) == 0 {
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = fmt.Sprintf("defaultValueOfTypeName(%s) AS %s", manifest.QuoteString(types[i]), manifest.QuoteIdent(c))
		}
		return "SELECT " + strings.Join(parts, ", ") + " LIMIT 0", nil
	}
	selects := make([]string, len(f.Rows))
	for r, row := range f.Rows {
		parts := make([]string, len(cols))
		for i, c := range cols {
			v, given := row[c]
			var lit string
			switch {
			case !given && !strings.HasPrefix(types[i], "Nullable("):
				lit = fmt.Sprintf("defaultValueOfTypeName(%s)", manifest.QuoteString(types[i]))
			default:
				lit = fmt.Sprintf("CAST(%s AS %s)", literal(v), types[i])
			}
			parts[i] = lit + " AS " + manifest.QuoteIdent(c)
		}
		selects[r] = "SELECT " + strings.Join(parts, ", ")
	}
	return strings.Join(selects, "\nUNION ALL\n"), nil
}

// columnType is the known type, made Nullable when a row gives NULL, or the inferred type.
func (f Fixture) columnType(c string) (string, error) {
	hasNull := false
	for _, r := range f.Rows {
		if v, ok := r[c]; ok && v == nil {
			hasNull = true
		}
	}
	if t, ok := f.Types[c]; ok && t != "" {
		if hasNull && !strings.HasPrefix(t, "Nullable(") && canBeNullable(t) {
			return "Nullable(" + t + ")", nil
		}
		return t, nil
	}
	return inferType(c, f.Rows), nil
}

// canBeNullable: ClickHouse refuses Nullable around composite types.
func canBeNullable(t string) bool {
	for _, p := range []string{"Array(", "Map(", "Tuple(", "LowCardinality(Nullable", "Nested("} {
		if strings.HasPrefix(t, p) {
			return false
		}
	}
	return true
}

// inferType picks the narrowest of Bool, Int64, Float64, Date, DateTime and String that holds
// every value of column c; strings that read as numbers count as numbers (csv rows are text).
func inferType(c string, rows []map[string]any) string {
	kinds := map[string]bool{}
	hasNull := false
	for _, r := range rows {
		v, ok := r[c]
		if !ok {
			continue
		}
		switch v := v.(type) {
		case nil:
			hasNull = true
		case bool:
			kinds["Bool"] = true
		case int, int64, uint64:
			kinds["Int64"] = true
		case float64:
			kinds["Float64"] = true
		case time.Time:
			if v.Equal(v.Truncate(24 * time.Hour)) {
				kinds["Date"] = true
			} else {
				kinds["DateTime"] = true
			}
		case string:
			if _, err := strconv.ParseInt(v, 10, 64); err == nil {
				kinds["Int64"] = true
			} else if _, err := strconv.ParseFloat(v, 64); err == nil {
				kinds["Float64"] = true
			} else {
				kinds["String"] = true
			}
		default:
			kinds["String"] = true
		}
	}
	t := "String"
	switch ks := sortedKinds(kinds); {
	case len(ks) == 1:
		t = ks[0]
	case len(ks) == 2 && kinds["Int64"] && kinds["Float64"]:
		t = "Float64"
	case len(ks) == 2 && kinds["Date"] && kinds["DateTime"]:
		t = "DateTime"
	}
	if hasNull {
		return "Nullable(" + t + ")"
	}
	return t
}

func sortedKinds(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// literal writes a YAML value as a ClickHouse literal; CAST gives it its column's type.
func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case time.Time:
		if v.Equal(v.Truncate(24 * time.Hour)) {
			return manifest.QuoteString(v.Format("2006-01-02"))
		}
		return manifest.QuoteString(v.Format("2006-01-02 15:04:05"))
	case string:
		return manifest.QuoteString(v)
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = literal(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return manifest.QuoteString(fmt.Sprint(v))
}
