package core

import (
	"bytes"
	"context"
	"regexp"
	"strings"

	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// Statements that return no table data: a user without PII access may run them as anyone may
// (such a user is read-only, so writes fail in the engine anyway).
var noDataKeywords = map[string]bool{"SHOW": true, "DESCRIBE": true, "DESC": true, "EXISTS": true, "USE": true,
	"SET": true, "EXPLAIN": true, "KILL": true}

// Table functions that read no stored data; every other one (merge, remote, s3, url, view…) could
// reach a personal-data column past the check below, so users without PII access may not use them.
var dataFreeFunctions = map[string]bool{"numbers": true, "numbers_mt": true, "zeros": true, "zeros_mt": true,
	"values": true, "generate_series": true, "generateSeries": true, "null": true, "generateRandom": true}

var (
	treeTable  = regexp.MustCompile(`^\s*TABLE id: (\d+),.* table_name: (\S+)`)
	treeFunc   = regexp.MustCompile(`^\s*TABLE_FUNCTION id: \d+,.* table_function_name: (\S+)`)
	treeColumn = regexp.MustCompile(`^\s*COLUMN id: \d+, column_name: (.+?), result_type: .*, source_id: (\d+)`)
	treeDict   = regexp.MustCompile(`^\s*FUNCTION id: \d+, function_name: (dictGet\w*|joinGet\w*)`)
)

// checkPII refuses a statement of a user without PII access that reads a column tagged as
// personal data. ClickHouse's own analyzer resolves the statement (EXPLAIN QUERY TREE, with the
// statement's database, settings and parameters): every column it reads, in the SELECT list,
// WHERE, JOIN, subqueries, CTEs and `*`, names the table it comes from, so no spelling gets past
// it. What the analyzer cannot resolve is refused.
func (p *Prepared) checkPII(ctx context.Context) error {
	if !p.s.user.NoPII || p.s.core.opts.PIIColumns == nil || noDataKeywords[p.an.Keyword] || p.killID != "" {
		return nil
	}
	sql := p.an.SQL
	if p.an.OutputAt >= 0 && p.an.OutputAt <= len(sql) {
		sql = sql[:p.an.OutputAt]
	}
	var tree bytes.Buffer
	if _, err := p.s.conn.Query(ctx, chdb.Stmt{SQL: "EXPLAIN QUERY TREE " + sql, Format: "TSVRaw", Params: p.st.Params}, &tree); err != nil {
		// The engine's message is not passed on: resolving the statement evaluates its scalar
		// subqueries, and a failing one (a cast of a tagged value) would quote the value.
		return Errorf(CodeAccessDenied, "%s has no access to personal data, and ClickHouse could not resolve the statement to check it (a syntax error, an unknown table or column, or a statement that is not a query)", p.s.user.Name)
	}
	tables := map[string]string{}
	type colRef struct{ name, source string }
	var cols []colRef
	for _, line := range strings.Split(tree.String(), "\n") {
		if m := treeTable.FindStringSubmatch(line); m != nil {
			tables[m[1]] = m[2]
		} else if m := treeFunc.FindStringSubmatch(line); m != nil && !dataFreeFunctions[m[1]] {
			return Errorf(CodeAccessDenied, "%s has no access to personal data and may not use the table function %s (docs/gdpr.md)", p.s.user.Name, m[1])
		} else if m := treeDict.FindStringSubmatch(line); m != nil {
			return Errorf(CodeAccessDenied, "%s has no access to personal data and may not use %s (docs/gdpr.md)", p.s.user.Name, m[1])
		} else if m := treeColumn.FindStringSubmatch(line); m != nil {
			cols = append(cols, colRef{m[1], m[2]})
		}
	}
	for _, c := range cols {
		table, ok := tables[c.source]
		if !ok {
			continue
		}
		for _, tagged := range p.s.core.opts.PIIColumns(table) {
			if tagged == c.name {
				return Errorf(CodeAccessDenied, "%s: Not enough privileges. %s has no access to personal data: column %s of %s is tagged pii (docs/gdpr.md)",
					p.s.user.Name, p.s.user.Name, c.name, table)
			}
		}
	}
	return nil
}
