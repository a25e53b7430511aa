package dtest

import (
	"fmt"
	"sort"
	"strings"
)

// RowDiff is the difference between expected and actual rows as multisets: Missing rows were
// expected but not returned, Unexpected rows were returned but not expected. Row order never
// matters, as in dbt's unit tests.
type RowDiff struct {
	Columns    []string
	Missing    [][]string
	Unexpected [][]string
}

// Empty reports whether the rows matched.
func (d RowDiff) Empty() bool { return len(d.Missing) == 0 && len(d.Unexpected) == 0 }

// Count is the number of differing rows.
func (d RowDiff) Count() int { return len(d.Missing) + len(d.Unexpected) }

// DiffRows compares expected and actual rows (text values, same column order). It is pure.
func DiffRows(columns []string, expected, actual [][]string) RowDiff {
	d := RowDiff{Columns: columns}
	left := map[string]int{}
	for _, r := range actual {
		left[rowKey(r)]++
	}
	for _, r := range expected {
		k := rowKey(r)
		if left[k] > 0 {
			left[k]--
			continue
		}
		d.Missing = append(d.Missing, r)
	}
	for _, r := range actual {
		k := rowKey(r)
		if left[k] > 0 {
			left[k]--
			d.Unexpected = append(d.Unexpected, r)
		}
	}
	sortRows(d.Missing)
	sortRows(d.Unexpected)
	return d
}

func rowKey(r []string) string { return strings.Join(r, "\x00") }

func sortRows(rows [][]string) {
	sort.SliceStable(rows, func(i, j int) bool { return rowKey(rows[i]) < rowKey(rows[j]) })
}

// String renders the diff as an aligned table: a header, missing rows with "-" and unexpected rows
// with "+", so the reader sees at once which rows differ and in which column.
func (d RowDiff) String() string {
	widths := make([]int, len(d.Columns))
	for i, c := range d.Columns {
		widths[i] = len(c)
	}
	for _, rows := range [][][]string{d.Missing, d.Unexpected} {
		for _, r := range rows {
			for i, v := range r {
				if i < len(widths) && len(v) > widths[i] {
					widths[i] = len(v)
				}
			}
		}
	}
	line := func(mark string, vals []string) string {
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = fmt.Sprintf("%-*s", widths[i], v)
		}
		return strings.TrimRight(mark+" "+strings.Join(parts, " | "), " ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "actual differs from expected (- expected but missing, + returned but not expected):\n")
	b.WriteString(line(" ", d.Columns) + "\n")
	for _, r := range d.Missing {
		b.WriteString(line("-", r) + "\n")
	}
	for _, r := range d.Unexpected {
		b.WriteString(line("+", r) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}
