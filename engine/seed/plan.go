package seed

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Input is everything Plan looks at.
type Input struct {
	Node   *manifest.Node
	Schema *Schema
	// AbsPath is the seed file's absolute path, used when Caps.ReadsLocalFiles.
	AbsPath string
	// Data is the seed file's contents, sent inline when the target cannot read local files.
	Data  []byte
	State materialize.State
	Caps  warehouse.Capabilities
	// Suffix makes the temporary table's name unique per run (see materialize.Input).
	Suffix string
}

// Plan returns the statements that load a parsed seed: drop leftovers of crashed runs, create a
// temporary table with the seed's types, load the file into it, and swap it into the seed's
// relation (materialize.Swap), so readers see the old or the new seed, never a partial one.
//
// Targets that read local files load with INSERT ... SELECT FROM file(), which the engine parses
// in parallel. Others get the file inline, `INSERT ... FORMAT CSVWithNames` followed by the data,
// in one statement: fine for seeds (small reference data, a few MB); large files belong in
// sources, not seeds.
func Plan(in Input) ([]materialize.Step, error) {
	if in.Node == nil || in.Schema == nil {
		return nil, fmt.Errorf("seed plan: node and schema are required")
	}
	steps, err := plan(in)
	if err != nil {
		return nil, fmt.Errorf("seed %s: %w", in.Node.UniqueID, err)
	}
	return steps, nil
}

func plan(in Input) ([]materialize.Step, error) {
	if in.Node.Database == "" || in.Node.Alias == "" {
		return nil, fmt.Errorf("database and alias must be set")
	}
	if err := materialize.CheckSuffix(in.Suffix); err != nil {
		return nil, err
	}
	if len(in.Schema.Columns) == 0 {
		return nil, fmt.Errorf("%s has no columns", in.Schema.File)
	}
	caps := materialize.ModelCaps(in.Node, in.Caps)
	clause, err := materialize.TableClauseFor(in.Node.Config, caps)
	if err != nil {
		return nil, err
	}
	target := materialize.Target(in.Node)
	tmp := materialize.TempRelation(target, in.Suffix)
	load, err := loadSQL(in, tmp, caps)
	if err != nil {
		return nil, err
	}
	create, err := materialize.CreateTable(tmp, materialize.TableDef{Columns: in.Schema.Structure(), Clause: clause}, caps)
	if err != nil {
		return nil, err
	}
	steps := append([]materialize.Step{materialize.CleanupTemps(target, caps)}, create...)
	steps = append(steps, materialize.Step{Purpose: "load " + in.Schema.File + " into " + tmp.String(), SQL: load, CountRows: true})
	swap, err := materialize.Swap(tmp, target, in.State, caps)
	if err != nil {
		return nil, err
	}
	return append(steps, swap...), nil
}

func loadSQL(in Input, tmp materialize.Relation, caps warehouse.Capabilities) (string, error) {
	settings := csvSettings(in.Schema.Delimiter)
	if caps.ReadsLocalFiles {
		if !filepath.IsAbs(in.AbsPath) {
			return "", fmt.Errorf("loading with file() needs the seed's absolute path, got %q", in.AbsPath)
		}
		return "INSERT INTO " + tmp.String() + " SELECT * FROM file(" + manifest.QuoteString(in.AbsPath) +
			", 'CSVWithNames', " + manifest.QuoteString(in.Schema.Structure()) + ") SETTINGS " + settings, nil
	}
	if in.Data == nil {
		return "", fmt.Errorf("the target cannot read local files and no seed data was given")
	}
	data := string(in.Data)
	if !strings.HasSuffix(data, "\n") {
		data += "\n"
	}
	return materialize.InsertInto(tmp, "", caps, settings) + " FORMAT CSVWithNames\n" + data, nil
}

// csvSettings pins how ClickHouse reads the CSV so it agrees with Parse whatever the server's
// defaults: unquoted empty fields load as NULL (Nullable) or "" (String); fields are matched to
// columns by the header; single quotes are ordinary characters; spaces are kept as written.
func csvSettings(delim rune) string {
	if delim == 0 {
		delim = ','
	}
	return "format_csv_delimiter = " + manifest.QuoteString(string(delim)) +
		", input_format_with_names_use_header = 1" +
		", input_format_csv_empty_as_default = 1" +
		", format_csv_allow_single_quotes = 0" +
		", input_format_csv_trim_whitespaces = 0"
}
