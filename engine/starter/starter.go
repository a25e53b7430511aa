// Package starter holds the project `dwm init` creates: a project.yml with an embedded
// ClickHouse target, a seed, two models (a table and a view that joins it to the seed) and a
// properties file with column tests and a unit test, so that `dwm build` in a new directory
// exercises seeds, models, generic tests and unit tests at once.
package starter

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

//go:embed files
var files embed.FS

// namePlaceholder in files/project.yml is replaced by the project's name.
const namePlaceholder = "__PROJECT_NAME__"

// writtenName is the name an embedded file is written under: go:embed skips dot files, and a
// real .gitignore inside this repository would apply to the repository itself.
func writtenName(base string) string {
	if base == "gitignore" {
		return ".gitignore"
	}
	return base
}

// ErrExists means the directory already holds one of the starter's files.
var ErrExists = errors.New("init never overwrites")

var nameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Files returns the starter project for a project called name, by slash-separated path.
func Files(name string) (map[string][]byte, error) {
	if !nameRe.MatchString(name) {
		return nil, fmt.Errorf("project name %q must be letters, digits and underscores, not starting with a digit", name)
	}
	out := map[string][]byte{}
	err := fs.WalkDir(files, "files", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "files/")
		rel = path.Join(path.Dir(rel), writtenName(path.Base(rel)))
		out[rel] = []byte(strings.ReplaceAll(string(b), namePlaceholder, name))
		return nil
	})
	return out, err
}

// ProjectName derives a project name from a directory: its base name with every character
// that is not a letter, digit or underscore made an underscore, lower-cased, and prefixed when it
// would start with a digit.
func ProjectName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	base := strings.ToLower(filepath.Base(abs))
	var b strings.Builder
	for _, r := range base {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteRune('_')
		}
	}
	name := strings.Trim(b.String(), "_")
	if name == "" {
		return "my_project"
	}
	if name[0] >= '0' && name[0] <= '9' {
		name = "p_" + name
	}
	return name
}

// Write creates the starter project in dir (made if missing) and returns the paths written,
// sorted. When any of the files already exists it writes nothing and returns an error wrapping
// ErrExists that names them, so init never overwrites a project.
func Write(dir, name string) ([]string, error) {
	fset, err := Files(name)
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(fset))
	for p := range fset {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var clash []string
	for _, p := range paths {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
			clash = append(clash, p)
		}
	}
	if len(clash) > 0 {
		verb := "exists"
		if len(clash) > 1 {
			verb = "exist"
		}
		return nil, fmt.Errorf("%s: %s %s: %w; nothing was written", dir, strings.Join(clash, ", "), verb, ErrExists)
	}
	for _, p := range paths {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, err
		}
		// O_EXCL: a file that appeared since the check is not overwritten either.
		f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, err
		}
		_, werr := f.Write(fset[p])
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return nil, fmt.Errorf("write %s: %w", full, werr)
		}
	}
	return paths, nil
}
