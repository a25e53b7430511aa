// Package docs builds what `dwm docs generate` leaves in target/: catalog.json, the relations as
// they exist in the warehouse (dbt's catalog shape), and index.html, a self-contained site that
// documents the project from the manifest and, when there is one, the catalog. Everything here
// except ReadCatalog is pure: manifest and catalog in, bytes out; the CLI writes the files.
package docs

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Catalog is target/catalog.json: every model, seed and source relation that exists in the
// warehouse, with its columns and statistics, keyed by unique ID as dbt's catalog is.
type Catalog struct {
	Metadata CatalogMetadata          `json:"metadata"`
	Nodes    map[string]*CatalogTable `json:"nodes"`
	Sources  map[string]*CatalogTable `json:"sources"`
	// Errors is null when the catalog is complete, as dbt writes it.
	Errors []string `json:"errors"`
}

// CatalogMetadata says which invocation produced a catalog.
type CatalogMetadata struct {
	DwmVersion   string    `json:"dwm_version"`
	GeneratedAt  time.Time `json:"generated_at"`
	InvocationID string    `json:"invocation_id"`
	Target       string    `json:"target"`
}

// CatalogTable is one relation.
type CatalogTable struct {
	Metadata TableMetadata            `json:"metadata"`
	Columns  map[string]CatalogColumn `json:"columns"`
	Stats    map[string]Stat          `json:"stats"`
	UniqueID string                   `json:"unique_id"`
}

// TableMetadata names a relation. ClickHouse has no schema level, so schema is the database, as
// dbt-clickhouse reports it.
type TableMetadata struct {
	Type    string  `json:"type"` // "table", "view" or "materialized_view"
	Schema  string  `json:"schema"`
	Name    string  `json:"name"`
	Comment *string `json:"comment"`
	Owner   *string `json:"owner"`
}

// CatalogColumn is one column as the warehouse has it.
type CatalogColumn struct {
	Type    string  `json:"type"`
	Index   int     `json:"index"` // 1-based position
	Name    string  `json:"name"`
	Comment *string `json:"comment"`
}

// Stat is one statistic in dbt's shape; dbt's site shows those with Include set.
type Stat struct {
	ID          string `json:"id"`
	Label       string `json:"label"`
	Value       any    `json:"value"`
	Include     bool   `json:"include"`
	Description string `json:"description"`
}

// The queries ReadCatalog runs; BuildCatalog reads their results by column name.
const (
	tablesQuery  = "SELECT database, name, engine, total_rows, total_bytes, comment FROM system.tables WHERE database IN (%s)"
	columnsQuery = "SELECT database, table, name, type, position, comment FROM system.columns WHERE database IN (%s)"
)

// ReadCatalog reads system.tables and system.columns for the databases the manifest's
// relations live in (two queries, however many relations) and builds the catalog.
func ReadCatalog(ctx context.Context, wh warehouse.Warehouse, m *manifest.Manifest, meta CatalogMetadata) (*Catalog, error) {
	dbs := map[string]bool{}
	for _, n := range m.Nodes {
		if documented(n) {
			dbs[n.Database] = true
		}
	}
	if len(dbs) == 0 {
		return BuildCatalog(m, meta, &warehouse.Result{}, &warehouse.Result{})
	}
	var quoted []string
	for db := range dbs {
		quoted = append(quoted, manifest.QuoteString(db))
	}
	sort.Strings(quoted)
	in := strings.Join(quoted, ", ")
	tables, err := wh.Query(ctx, fmt.Sprintf(tablesQuery, in))
	if err != nil {
		return nil, fmt.Errorf("catalog: read system.tables: %w", err)
	}
	cols, err := wh.Query(ctx, fmt.Sprintf(columnsQuery, in))
	if err != nil {
		return nil, fmt.Errorf("catalog: read system.columns: %w", err)
	}
	return BuildCatalog(m, meta, tables, cols)
}

// documented reports whether a node has a relation of its own to look for in the warehouse.
func documented(n *manifest.Node) bool {
	switch n.ResourceType {
	case manifest.Model:
		return n.Config.Materialized != "ephemeral"
	case manifest.Seed, manifest.Source, manifest.Snapshot:
		return true
	}
	return false
}

// BuildCatalog matches rows of system.tables and system.columns (the columns ReadCatalog selects,
// in any order) to the manifest's relations. Relations that do not exist yet are left out, as dbt
// leaves them out; tables the manifest does not know are ignored.
func BuildCatalog(m *manifest.Manifest, meta CatalogMetadata, tables, columns *warehouse.Result) (*Catalog, error) {
	// Several nodes may name one relation (a source declared over a seed), so each key holds a list.
	byRelation := map[[2]string][]*manifest.Node{}
	for _, id := range m.SortedIDs() {
		if n := m.Nodes[id]; documented(n) {
			k := [2]string{n.Database, n.Alias}
			byRelation[k] = append(byRelation[k], n)
		}
	}
	cat := &Catalog{Metadata: meta, Nodes: map[string]*CatalogTable{}, Sources: map[string]*CatalogTable{}}

	t, err := newReader(tables, "system.tables", "database", "name", "engine", "total_rows", "total_bytes", "comment")
	if err != nil {
		return nil, err
	}
	entries := map[[2]string][]*CatalogTable{}
	for i := range tables.Rows {
		k := [2]string{t.str(i, "database"), t.str(i, "name")}
		rows, hasRows := t.num(i, "total_rows")
		bytes, hasBytes := t.num(i, "total_bytes")
		for _, n := range byRelation[k] {
			e := &CatalogTable{UniqueID: n.UniqueID, Columns: map[string]CatalogColumn{},
				Metadata: TableMetadata{Type: relationType(t.str(i, "engine")), Schema: k[0], Name: k[1], Comment: optional(t.str(i, "comment"))},
				Stats:    tableStats(t.str(i, "engine"), rows, hasRows, bytes, hasBytes)}
			entries[k] = append(entries[k], e)
			if n.ResourceType == manifest.Source {
				cat.Sources[n.UniqueID] = e
			} else {
				cat.Nodes[n.UniqueID] = e
			}
		}
	}

	c, err := newReader(columns, "system.columns", "database", "table", "name", "type", "position", "comment")
	if err != nil {
		return nil, err
	}
	for i := range columns.Rows {
		k := [2]string{c.str(i, "database"), c.str(i, "table")}
		pos, _ := c.num(i, "position")
		col := CatalogColumn{Name: c.str(i, "name"), Type: c.str(i, "type"), Index: int(pos), Comment: optional(c.str(i, "comment"))}
		for _, e := range entries[k] {
			e.Columns[col.Name] = col
		}
	}
	return cat, nil
}

// relationType maps a ClickHouse engine to dbt's relation types.
func relationType(engine string) string {
	switch engine {
	case "View":
		return "view"
	case "MaterializedView":
		return "materialized_view"
	}
	return "table"
}

// tableStats reports the engine always and rows and bytes when ClickHouse knows them (it does not
// for views), under the stat IDs dbt adapters use.
func tableStats(engine string, rows uint64, hasRows bool, bytes uint64, hasBytes bool) map[string]Stat {
	st := map[string]Stat{"engine": {ID: "engine", Label: "Engine", Value: engine, Include: true, Description: "ClickHouse table engine"}}
	if hasRows {
		st["num_rows"] = Stat{ID: "num_rows", Label: "# Rows", Value: rows, Include: true, Description: "Approximate row count (system.tables.total_rows)"}
	}
	if hasBytes {
		st["num_bytes"] = Stat{ID: "num_bytes", Label: "Approximate Size", Value: bytes, Include: true, Description: "Compressed bytes on disk (system.tables.total_bytes)"}
	}
	st["has_stats"] = Stat{ID: "has_stats", Label: "Has Stats?", Value: hasRows || hasBytes, Include: false, Description: "Indicates whether there are statistics for this table"}
	return st
}

// optional turns ClickHouse's empty comment into JSON null, which is what dbt writes for none.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// reader reads a warehouse.Result by column name, so the queries can change column order freely.
type reader struct {
	res *warehouse.Result
	idx map[string]int
}

func newReader(res *warehouse.Result, what string, want ...string) (reader, error) {
	r := reader{res: res, idx: map[string]int{}}
	for i, c := range res.Columns {
		r.idx[c.Name] = i
	}
	if len(res.Rows) == 0 {
		return r, nil
	}
	for _, w := range want {
		if _, ok := r.idx[w]; !ok {
			return r, fmt.Errorf("catalog: %s result has no column %q", what, w)
		}
	}
	return r, nil
}

// str returns a value as text; NULL is "".
func (r reader) str(row int, col string) string {
	v := r.res.Rows[row][r.idx[col]]
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// num returns an unsigned number and false for NULL or text that is not one.
func (r reader) num(row int, col string) (uint64, bool) {
	n, err := strconv.ParseUint(r.str(row, col), 10, 64)
	return n, err == nil
}
