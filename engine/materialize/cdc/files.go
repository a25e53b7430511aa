package cdc

import (
	"context"
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
	"time"

	"github.com/dwmhq/dwm/engine/objstore"
	"github.com/dwmhq/dwm/internal/osfs"
)

// File is one file or object a staging or fact model loads.
type File struct {
	// Path names the file in the ledger: relative to the project directory when inside it, or
	// s3://bucket/key for an object.
	Path string
	// Abs is the absolute path of a local file; empty for an object.
	Abs string
	// SHA256 fingerprints a local file. It is read from the hash cache when the file's Stamp
	// matches the one the cached hash was taken with (stamp.go), else computed.
	SHA256 string
	// Stamp is a local file's stat fingerprint (osfs.Stamp); "" when stat cannot vouch for it.
	Stamp string
	// Object locates an object; nil for a local file. ETag and Size, as the object store
	// lists them, fingerprint it.
	Object *objstore.Location
	ETag   string
	Size   uint64
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

// globFiles returns the local files matching p (vars expanded) in sorted path order, the
// order weeks load in.
func globFiles(dir, p, pattern string, now func() time.Time) ([]File, error) {
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
		fi, err := os.Stat(m)
		if err != nil {
			return nil, fmt.Errorf("files %q: %w", pattern, err)
		}
		out = append(out, File{Path: shown, Abs: m, Stamp: osfs.Stamp(fi, now())})
	}
	return out, nil
}

func fileSHA256(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ctxReader stops a long read (hashing a file of gigabytes) once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// bom is the UTF-8 byte order mark some tools write before a CSV header. ClickHouse skips it
// when it reads the file, so dwm must too, or the first column's name would not match.
const bom = "\ufeff"

// readHeader reads the header row of a local CSV file; shown names it in messages.
func readHeader(path, shown string, delim rune) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseHeader(f, shown, delim)
}

// parseHeader reads a CSV header row from r, without a leading byte order mark.
func parseHeader(r io.Reader, shown string, delim rune) ([]string, error) {
	cr := csv.NewReader(r)
	if delim != 0 {
		cr.Comma = delim
	}
	cr.FieldsPerRecord = -1
	rec, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: no header row (the file is empty)", shown)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: read header: %w", shown, err)
	}
	if len(rec) > 0 {
		rec[0] = strings.TrimPrefix(rec[0], bom)
	}
	seen := map[string]bool{}
	for i, name := range rec {
		rec[i] = strings.TrimSpace(name)
		if rec[i] == "" {
			return nil, fmt.Errorf("%s: header column %d is empty", shown, i+1)
		}
		if seen[rec[i]] {
			return nil, fmt.Errorf("%s: header column %q appears twice", shown, rec[i])
		}
		seen[rec[i]] = true
	}
	return rec, nil
}
