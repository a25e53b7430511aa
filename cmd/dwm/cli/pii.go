package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dwmhq/dwm/engine/pii"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// piiNote returns the note dwm show prints (on stderr) when the result holds columns tagged as
// personal data in the models the query read; "" when none.
func piiNote(sess *session.Session, sql string, cols []warehouse.Column) string {
	tags, err := sess.PII()
	if err != nil {
		return ""
	}
	tagged := map[string]bool{}
	for model := range tags.Columns {
		n := sess.Project.Manifest.ByName(model)
		if n == nil || !(strings.Contains(sql, n.Relation()) || strings.Contains(sql, n.Database+"."+n.Alias)) {
			continue
		}
		for _, c := range tags.Names(model) {
			tagged[c] = true
		}
	}
	var shown []string
	for _, c := range cols {
		if tagged[c.Name] {
			shown = append(shown, c.Name)
		}
	}
	if len(shown) == 0 {
		return ""
	}
	sort.Strings(shown)
	return fmt.Sprintf("note: %s hold personal data (tagged pii); keep it out of tickets, chats and screenshots (docs/gdpr.md)", strings.Join(shown, ", "))
}

// piiLine is dwm ls --output pii's line for a model: its personal-data columns and where each
// was tagged.
func piiLine(tags *pii.Tags, model string) string {
	cols := tags.Columns[model]
	if len(cols) == 0 {
		return ""
	}
	var parts []string
	for _, c := range cols {
		if c.From == model {
			parts = append(parts, c.Name)
		} else {
			parts = append(parts, c.Name+" (from "+c.From+")")
		}
	}
	line := model + ": " + strings.Join(parts, ", ")
	if s, ok := tags.Subject(model); ok {
		line += " [data subject, key " + s.Key
		if s.Within > 0 {
			line += ", upstream deletions erased within " + pii.FormatWithin(s.Within)
		}
		line += "]"
	}
	return line
}

// piiColumnsByTable maps a table ("db.name") to the personal-data columns of the model it
// belongs to: the model's relation and the tables dwm keeps beside it (`<alias>__versions`,
// `<alias>__quarantine`, ...).
func piiColumnsByTable(sess *session.Session, tags *pii.Tags) func(string) []string {
	byRel := map[string][]string{}
	for model := range tags.Columns {
		if n := sess.Project.Manifest.ByName(model); n != nil {
			byRel[n.Database+"."+n.Alias] = tags.Names(model)
		}
	}
	return func(table string) []string {
		if cols, ok := byRel[table]; ok {
			return cols
		}
		if i := strings.Index(table, "__"); i > 0 {
			return byRel[table[:i]]
		}
		return nil
	}
}
