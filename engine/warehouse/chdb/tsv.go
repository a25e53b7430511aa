package chdb

import (
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// resultFormat is the output format Query asks for. TabSeparated prints every value exactly as
// ClickHouse's text form (what warehouse.Result promises), marks top-level NULL as \N, and
// escapes tab, newline and backslash so rows and fields split on single bytes. It is also the
// cheapest text format to produce and to parse; JSON would re-quote arrays and numbers.
const resultFormat = "TSVWithNamesAndTypes"

// decodeTSV parses TSVWithNamesAndTypes output. out is one Go string; unescaped values are
// substrings of it, so a large result costs one copy plus the row slices.
func decodeTSV(out string) ([]warehouse.Column, [][]any, error) {
	if out == "" {
		return nil, nil, nil // statements without a result set (DDL) print nothing
	}
	namesLine, rest, ok1 := strings.Cut(out, "\n")
	typesLine, body, ok2 := strings.Cut(rest, "\n")
	if !ok1 || !ok2 {
		return nil, nil, fmt.Errorf("decode result: missing names/types header in %q", truncate(out, 200))
	}
	names := strings.Split(namesLine, "\t")
	types := strings.Split(typesLine, "\t")
	if len(names) != len(types) {
		return nil, nil, fmt.Errorf("decode result: %d names but %d types", len(names), len(types))
	}
	cols := make([]warehouse.Column, len(names))
	escaped := make([]bool, len(names))
	for i := range names {
		cols[i] = warehouse.Column{Name: unescapeTSV(names[i]), Type: unescapeTSV(types[i])}
		escaped[i] = !isComposite(cols[i].Type)
	}
	n := strings.Count(body, "\n")
	if body != "" && body[len(body)-1] != '\n' {
		n++ // tolerate a missing final newline
	}
	rows := make([][]any, 0, n)
	// One backing array for all values: a million rows cost one allocation, not a million.
	cells := make([]any, n*len(cols))
	for line := 0; body != ""; line++ {
		rowText, next, _ := strings.Cut(body, "\n")
		body = next
		row := cells[line*len(cols) : (line+1)*len(cols) : (line+1)*len(cols)]
		for c := range cols {
			var field string
			if c == len(cols)-1 {
				field, rowText = rowText, ""
				if strings.IndexByte(field, '\t') >= 0 {
					return nil, nil, fmt.Errorf("decode result: row %d has more than %d fields", line+1, len(cols))
				}
			} else {
				var ok bool
				field, rowText, ok = strings.Cut(rowText, "\t")
				if !ok {
					return nil, nil, fmt.Errorf("decode result: row %d has %d fields, want %d", line+1, c+1, len(cols))
				}
			}
			switch {
			case field == `\N`:
				row[c] = nil
			case escaped[c]:
				row[c] = unescapeTSV(field)
			default:
				row[c] = field
			}
		}
		rows = append(rows, row)
	}
	return cols, rows, nil
}

// isComposite reports whether TSV prints values of type t verbatim. Measured on 26.7: Array, Map
// and Tuple values are written in their quoted text form ('x\ty', with their own escapes) and TSV
// does not escape them again, while strings, FixedString, Enum, JSON, Variant and Dynamic are
// TSV-escaped and must be unescaped.
func isComposite(t string) bool {
	for {
		if rest, ok := strings.CutPrefix(t, "LowCardinality("); ok {
			t = rest
		} else if rest, ok := strings.CutPrefix(t, "Nullable("); ok {
			t = rest
		} else {
			break
		}
	}
	for _, p := range []string{"Array(", "Map(", "Tuple(", "Nested("} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// unescapeTSV reverses ClickHouse's TSV escaping (\t \n \\ \' \0 and friends).
func unescapeTSV(s string) string {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		ch := s[i]
		if ch != '\\' || i+1 == len(s) {
			b.WriteByte(ch)
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '0':
			b.WriteByte(0)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'a':
			b.WriteByte('\a')
		case 'v':
			b.WriteByte('\v')
		case 'e':
			b.WriteByte(0x1b)
		default: // \\, \', and anything unknown stand for the character itself
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
