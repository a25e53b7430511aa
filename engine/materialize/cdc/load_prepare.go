package cdc

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/objstore"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// LoadBatch is what Prepare found for a staging or fact model; it is Input.Prepared.
type LoadBatch struct {
	// Columns are the file's columns in header order with their target types.
	Columns []warehouse.Column
	// Files are the files to load in this run, in order, with their load sequence numbers.
	Files []File
	// LastSeq is the highest _load_seq already loaded and kept (0 on a full refresh, and when
	// nothing is committed yet).
	LastSeq uint64
	// Rules are the fact model's quarantine rules with ref('x') resolved.
	Rules []Rule
	// Op is the staging column whose values must be INSERT, UPDATE or DELETE; "" for none.
	Op string
	// Format is how the files are read: FormatCSV or FormatJSON.
	Format string
	// Store reaches the files when they are objects (s3://); nil for local files.
	Store *objstore.Store
	// Rebuild, when not empty, says why the table no longer matches its ledger (see
	// ledgerDisagrees); the plan then reloads every file from scratch, as --full-refresh does.
	Rebuild string
}

// format is Format, FormatCSV when unset.
func (b *LoadBatch) format() string {
	if b.Format == "" {
		return FormatCSV
	}
	return b.Format
}

// Rule sends a row to quarantine with Reason when the SQL boolean When holds.
type Rule struct {
	When   string
	Reason string
}

// The file formats a load reads (config format).
const (
	// FormatCSV is CSV with a header row naming the columns (the default).
	FormatCSV = "CSVWithNames"
	// FormatJSON is one JSON object per row, kept whole as the String column json.
	FormatJSON = "JSONAsString"
)

// jsonColumn is the one column of a FormatJSON load.
const jsonColumn = "json"

// bookkeeping columns that loads add after the file's columns.
var loadBookkeeping = map[string]bool{"processed": true, "inserted_at": true, "_file": true, "_row": true, "_load_seq": true}

// prepareLoad finds the files to load: the matches of the files pattern not yet in the ledger.
// A loaded file whose fingerprint changed, or a new file sorting before a loaded one, is an
// error: loading it would make the table disagree with a rebuild from the same files.
func prepareLoad(ctx context.Context, wh warehouse.Warehouse, in *materialize.Input, env materialize.PrepareEnv) (*LoadBatch, error) {
	n := in.Node
	b, err := findFiles(ctx, wh, in, env)
	if err != nil {
		return nil, fmt.Errorf("materialize %s: %w", n.UniqueID, err)
	}
	if b.Columns, err = loadColumns(ctx, wh, n, in.State, b); err != nil {
		return nil, fmt.Errorf("materialize %s: %w", n.UniqueID, err)
	}
	return b, nil
}

func findFiles(ctx context.Context, wh warehouse.Warehouse, in *materialize.Input, env materialize.PrepareEnv) (*LoadBatch, error) {
	n := in.Node
	pattern := strings.TrimSpace(n.Config.String("files"))
	if pattern == "" {
		return nil, fmt.Errorf("config files is required (a glob such as data/cdc/*/users.csv or s3://bucket/cdc/*/users.csv)")
	}
	if err := checkEmptyBody(in.SQL); err != nil {
		return nil, err
	}
	b := &LoadBatch{Format: FormatCSV}
	switch f := strings.TrimSpace(n.Config.String("format")); strings.ToLower(f) {
	case "", "csv", strings.ToLower(FormatCSV):
	case "json", strings.ToLower(FormatJSON):
		b.Format = FormatJSON
	default:
		return nil, fmt.Errorf("config format %q: want %s (the default) or %s", f, FormatCSV, FormatJSON)
	}
	p, err := expandVars(pattern, env.Vars)
	if err != nil {
		return nil, err
	}
	var files []File
	if objstore.IsObject(p) {
		if env.ObjectStore == nil {
			return nil, fmt.Errorf("files %q: %w", p, objstore.ErrNotConfigured)
		}
		if b.Store, err = env.ObjectStore(); err != nil {
			return nil, fmt.Errorf("files %q: %w", p, err)
		}
		if files, err = listObjects(ctx, wh, b.Store, p); err != nil {
			return nil, err
		}
	} else {
		now := env.Now
		if now == nil {
			now = time.Now
		}
		if files, err = globFiles(env.Dir, p, pattern, now); err != nil {
			return nil, err
		}
	}
	hashes := newHashCache(env)
	if !in.FullRefresh {
		if b.Files, b.LastSeq, b.Rebuild, err = newFiles(ctx, wh, n, files, in.State.Kind == materialize.Table, in.Caps, hashes); err != nil {
			return nil, err
		}
	}
	if in.FullRefresh || b.Rebuild != "" {
		for i := range files {
			files[i].Seq = uint64(i + 1)
		}
		b.Files, b.LastSeq = files, 0
	}
	// The files to load are hashed here, for their ledger rows; loaded ones were checked by
	// newFiles.
	for i := range b.Files {
		if b.Files[i].Object == nil {
			if b.Files[i].SHA256, err = hashes.sha256(ctx, b.Files[i]); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// newFiles compares the matched files with the ledger, and the ledger with the table (table:
// whether it exists). When the ledger and the table disagree it returns why, and the caller
// reloads every file.
func newFiles(ctx context.Context, wh warehouse.Warehouse, n *manifest.Node, files []File, table bool, caps warehouse.Capabilities, hashes hashCache) ([]File, uint64, string, error) {
	l := ledgerOf(n)
	if err := upgradeLedger(ctx, wh, l, caps); err != nil {
		return nil, 0, "", err
	}
	res, err := queryLedger(ctx, wh, l, "SELECT file, sha256, seq, etag, size, loaded FROM "+l.String()+" WHERE model = "+
		manifest.QuoteString(modelKey(n))+" AND kind = 'file' ORDER BY seq")
	if err != nil {
		return nil, 0, "", err
	}
	loaded := map[string]int{}
	var last uint64
	lastPath := ""
	rows := make([]ledgerFile, 0, len(res.Rows))
	for i := range res.Rows {
		loaded[res.String(i, 0)] = i
		seq, err := strconv.ParseUint(res.String(i, 2), 10, 64)
		if err != nil {
			return nil, 0, "", fmt.Errorf("ledger seq %q: %w", res.String(i, 2), err)
		}
		rowsLoaded, err := strconv.ParseUint(res.String(i, 5), 10, 64)
		if err != nil {
			return nil, 0, "", fmt.Errorf("ledger loaded %q: %w", res.String(i, 5), err)
		}
		rows = append(rows, ledgerFile{path: res.String(i, 0), seq: seq, loaded: rowsLoaded})
		if seq > last {
			last, lastPath = seq, res.String(i, 0)
		}
	}
	if why, err := ledgerDisagrees(ctx, wh, materialize.Target(n), table, rows); err != nil || why != "" {
		return nil, 0, why, err
	}
	var out []File
	for _, f := range files {
		row, ok := loaded[f.Path]
		if ok && f.Object == nil {
			var err error
			if f.SHA256, err = hashes.sha256(ctx, f); err != nil {
				return nil, 0, "", err
			}
		}
		switch {
		case ok && f.Object == nil && res.String(row, 1) != f.SHA256:
			return nil, 0, "", fmt.Errorf("%w: %s (loaded with sha256 %s, now %s); restore it or run with --full-refresh",
				ErrFileChanged, f.Path, res.String(row, 1), f.SHA256)
		case ok && f.Object != nil && (res.String(row, 3) != f.ETag || res.String(row, 4) != strconv.FormatUint(f.Size, 10)):
			return nil, 0, "", fmt.Errorf("%w: %s (loaded with ETag %s, %s bytes; now ETag %s, %d bytes); restore it or run with --full-refresh",
				ErrFileChanged, f.Path, res.String(row, 3), res.String(row, 4), f.ETag, f.Size)
		case ok:
		case lastPath != "" && f.Path < lastPath:
			return nil, 0, "", fmt.Errorf("new file %s sorts before %s, which is already loaded; files must arrive in path order (run with --full-refresh to reload all)",
				f.Path, lastPath)
		default:
			f.Seq = last + uint64(len(out)) + 1
			out = append(out, f)
		}
	}
	return out, last, "", nil
}

// loadColumns types the file's columns: from the header of the files to load (all must agree),
// else the existing table, else the YAML columns. YAML data_type wins; the default is String.
func loadColumns(ctx context.Context, wh warehouse.Warehouse, n *manifest.Node, st materialize.State, b *LoadBatch) ([]warehouse.Column, error) {
	if b.format() == FormatJSON {
		return []warehouse.Column{{Name: jsonColumn, Type: "String"}}, nil
	}
	types := map[string]string{}
	for _, c := range n.Columns {
		if c.DataType != "" && !loadBookkeeping[c.Name] {
			types[c.Name] = c.DataType
		}
	}
	var header []string
	for _, f := range b.Files {
		var h []string
		var err error
		if f.Object != nil {
			h, err = objectHeader(ctx, wh, b.Store, f, delimiter(n))
		} else {
			h, err = readHeader(f.Abs, f.Path, delimiter(n))
		}
		if err != nil {
			return nil, err
		}
		if header == nil {
			header = h
			if err := checkDeclared(f.Path, h, types); err != nil {
				return nil, err
			}
		} else if strings.Join(h, ",") != strings.Join(header, ",") {
			return nil, fmt.Errorf("%s: header (%s) differs from %s's (%s)", f.Path, strings.Join(h, ", "), b.Files[0].Path, strings.Join(header, ", "))
		}
	}
	var cols []warehouse.Column
	switch {
	case header != nil:
		for _, name := range header {
			if loadBookkeeping[name] {
				return nil, fmt.Errorf("%s: column %q is reserved for dwm's bookkeeping", b.Files[0].Path, name)
			}
			t := types[name]
			if t == "" {
				t = "String"
			}
			cols = append(cols, warehouse.Column{Name: name, Type: t})
		}
	case st.Kind == materialize.Table:
		for _, c := range st.Columns {
			if !loadBookkeeping[c.Name] {
				cols = append(cols, c)
			}
		}
	default:
		for _, c := range n.Columns {
			t := c.DataType
			if t == "" {
				t = "String"
			}
			cols = append(cols, warehouse.Column{Name: c.Name, Type: t})
		}
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("no file matches %q and no columns are declared, so the table cannot be created yet", n.Config.String("files"))
	}
	return cols, nil
}

// checkDeclared fails when the YAML gives a column a data_type and the file has no such column:
// that is a renamed or missing column, and loading without it would silently drop it.
func checkDeclared(file string, header []string, types map[string]string) error {
	have := map[string]bool{}
	for _, h := range header {
		have[h] = true
	}
	var missing []string
	for name := range types {
		if !have[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	return fmt.Errorf("%s: the header lacks %s, declared with a data_type in the YAML (header: %s)",
		file, strings.Join(missing, ", "), strings.Join(header, ", "))
}

// opColumn is the staging column checked for INSERT, UPDATE or DELETE: config op names it
// (op: "" switches the check off); by default it is the column op when the files have one.
func opColumn(n *manifest.Node, cols []warehouse.Column) (string, error) {
	v, set := n.Config.Raw["op"]
	if !set || v == nil {
		if hasColumn(cols, "op") {
			return "op", nil
		}
		return "", nil
	}
	name, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("config op: want a column name, got %T", v)
	}
	if name != "" && !hasColumn(cols, name) {
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.Name
		}
		return "", fmt.Errorf("config op: column %q is not in the files (columns: %s)", name, strings.Join(names, ", "))
	}
	return name, nil
}

func delimiter(n *manifest.Node) rune {
	if d := n.Config.Delimiter; d != "" {
		return []rune(d)[0]
	}
	return ','
}

var commentLine = regexp.MustCompile(`(?m)^\s*--.*$`)

// checkEmptyBody enforces the contract that a loading model's SQL holds no query: the rows come
// from files, and a SELECT there would look meaningful while being ignored.
func checkEmptyBody(sql string) error {
	if strings.TrimSpace(commentLine.ReplaceAllString(sql, "")) != "" {
		return fmt.Errorf("the SQL body must be empty (config and -- comments only): the rows come from the files config")
	}
	return nil
}

var refCall = regexp.MustCompile(`\bref\(\s*['"]([^'"]+)['"]\s*\)`)

// resolveRules reads quarantine_if and replaces ref('name') with the model's relation.
func resolveRules(n *manifest.Node, env materialize.PrepareEnv) ([]Rule, error) {
	raw, ok := n.Config.Raw["quarantine_if"]
	if !ok || raw == nil {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("quarantine_if: want a list of {when, reason}, got %T", raw)
	}
	var out []Rule
	for i, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("quarantine_if[%d]: want {when, reason}, got %T", i, it)
		}
		when, _ := m["when"].(string)
		reason, _ := m["reason"].(string)
		if strings.TrimSpace(when) == "" || reason == "" {
			return nil, fmt.Errorf("quarantine_if[%d]: when and reason are required", i)
		}
		var rerr error
		when = refCall.ReplaceAllStringFunc(when, func(s string) string {
			name := refCall.FindStringSubmatch(s)[1]
			var ref *manifest.Node
			if env.Ref != nil {
				ref = env.Ref(name)
			}
			if ref == nil {
				rerr = fmt.Errorf("quarantine_if[%d]: ref(%q): no such model or seed", i, name)
				return s
			}
			return ref.Relation()
		})
		if rerr != nil {
			return nil, rerr
		}
		out = append(out, Rule{When: when, Reason: reason})
	}
	return out, nil
}
