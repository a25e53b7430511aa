package cdc

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// File is one CSV file a staging or fact model loads.
type File struct {
	// Path names the file in the ledger: relative to the project directory when inside it.
	Path string
	// Abs is the absolute path that file() reads.
	Abs    string
	SHA256 string
	// Seq is the file's load sequence number, stored in _load_seq; it follows sorted path order.
	Seq uint64
}

// ErrFileChanged means a file already loaded has different contents now.
var ErrFileChanged = errors.New("file changed after it was loaded")

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandVars replaces ${name} with the project var name; an unknown var is an error rather than
// an empty string, which would silently turn "${dir}/x.csv" into "/x.csv".
func expandVars(pattern string, vars map[string]any) (string, error) {
	var err error
	out := varRef.ReplaceAllStringFunc(pattern, func(m string) string {
		name := varRef.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok || v == nil {
			if err == nil {
				err = fmt.Errorf("files %q: var %q is not set (set it in project.yml vars or --vars)", pattern, name)
			}
			return ""
		}
		return fmt.Sprint(v)
	})
	return out, err
}

// globFiles returns the files matching pattern in sorted path order, the order weeks load in.
func globFiles(dir, pattern string, vars map[string]any) ([]File, error) {
	p, err := expandVars(pattern, vars)
	if err != nil {
		return nil, err
	}
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(dir, p)
	}
	matches, err := filepath.Glob(abs)
	if err != nil {
		return nil, fmt.Errorf("files %q: %w", pattern, err)
	}
	sort.Strings(matches)
	out := make([]File, 0, len(matches))
	for _, m := range matches {
		// Files inside the project are named relative to it, so the ledger does not depend on
		// where the project is checked out or on whether a var held an absolute path.
		shown := m
		if r, err := filepath.Rel(dir, m); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			shown = filepath.ToSlash(r)
		}
		out = append(out, File{Path: shown, Abs: m})
	}
	return out, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readHeader reads a CSV file's header row.
func readHeader(path string, delim rune) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	if delim != 0 {
		r.Comma = delim
	}
	r.FieldsPerRecord = -1
	rec, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: read header: %w", path, err)
	}
	for i, name := range rec {
		rec[i] = strings.TrimSpace(name)
		if rec[i] == "" {
			return nil, fmt.Errorf("%s: header column %d is empty", path, i+1)
		}
	}
	return rec, nil
}
