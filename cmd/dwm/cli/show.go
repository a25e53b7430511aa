package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/dwmhq/dwm/engine/compile"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/spf13/cobra"
)

func newShowCmd(s *Streams, g *globalOptions) *cobra.Command {
	var inline, output string
	var limit int
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Run a model's SQL or an inline query and print the first rows",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch output {
			case "table", "csv", "json":
			default:
				return usageErr(fmt.Errorf("--output must be table, csv or json, not %q", output))
			}
			if (inline == "") == (len(g.selects) == 0) {
				return usageErr(fmt.Errorf("show needs exactly one of --select or --inline"))
			}
			sess, err := g.openSession()
			if err != nil {
				return err
			}
			defer sess.Close()
			var sql string
			if inline != "" {
				if sql, err = sess.Compiler.Inline(inline); err != nil {
					return usageErr(err)
				}
			} else {
				ids, warns, err := sess.Select(g.selectArgs(), g.excludeArgs(), []manifest.ResourceType{manifest.Model, manifest.Seed, manifest.Snapshot, manifest.Source}, "")
				if err != nil {
					return usageErr(err)
				}
				warnSelection(s, warns)
				if len(ids) != 1 {
					return usageErr(fmt.Errorf("--select must match exactly one model, seed or source; it matched %d", len(ids)))
				}
				n := sess.Node(ids[0])
				if sess.Project.Templates[n.UniqueID] != nil {
					if sql, err = sess.Compiler.Node(n.UniqueID, compile.Options{}); err != nil {
						return usageErr(err)
					}
				} else {
					sql = "SELECT * FROM " + n.Relation()
				}
			}
			wh, err := sess.Warehouse(cmd.Context())
			if err != nil {
				return usageErr(err)
			}
			q := "SELECT * FROM (\n" + strings.TrimRight(strings.TrimSpace(sql), ";") + "\n)"
			if limit >= 0 {
				q += fmt.Sprintf(" LIMIT %d", limit)
			}
			res, err := wh.Query(cmd.Context(), q)
			if err != nil {
				return failErr(err)
			}
			if note := piiNote(sess, q, res.Columns); note != "" {
				fmt.Fprintln(s.Err, note)
			}
			return printResult(s.Out, res, output)
		},
	}
	cmd.Flags().StringVar(&inline, "inline", "", "SQL to run (a template: ref, var and macros work)")
	cmd.Flags().IntVar(&limit, "limit", 5, "rows to show (-1 for all)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table, csv or json")
	return cmd
}

func printResult(w io.Writer, res *warehouse.Result, format string) error {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		head := make([]string, len(res.Columns))
		for i, c := range res.Columns {
			head[i] = c.Name
		}
		cw.Write(head)
		for r := range res.Rows {
			row := make([]string, len(res.Columns))
			for c := range row {
				if res.Rows[r][c] != nil {
					row[c] = fmt.Sprint(res.Rows[r][c])
				}
			}
			cw.Write(row)
		}
		cw.Flush()
		return cw.Error()
	case "json":
		out := make([]map[string]any, len(res.Rows))
		for r, row := range res.Rows {
			m := map[string]any{}
			for c, col := range res.Columns {
				m[col.Name] = row[c]
			}
			out[r] = m
		}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	}
	widths := make([]int, len(res.Columns))
	for i, c := range res.Columns {
		widths[i] = utf8.RuneCountInString(c.Name)
	}
	for r := range res.Rows {
		for c := range res.Columns {
			widths[c] = max(widths[c], utf8.RuneCountInString(res.String(r, c)))
		}
	}
	line := func(cells func(i int) string) {
		var b strings.Builder
		b.WriteString("|")
		for i := range res.Columns {
			v := cells(i)
			b.WriteString(" " + v + strings.Repeat(" ", widths[i]-utf8.RuneCountInString(v)) + " |")
		}
		fmt.Fprintln(w, b.String())
	}
	line(func(i int) string { return res.Columns[i].Name })
	line(func(i int) string { return strings.Repeat("-", widths[i]) })
	for r := range res.Rows {
		line(func(i int) string { return res.String(r, i) })
	}
	return nil
}
