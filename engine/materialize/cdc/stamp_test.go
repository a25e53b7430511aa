package cdc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dwmhq/dwm/internal/osfs"
)

func stampOf(t *testing.T, path string, now time.Time) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return osfs.Stamp(fi, now)
}

// A stamp vouches for a file only once its last write is older than the racy window, and any
// write changes it, even one that keeps the size and sets the modification time back.
func TestStatStamp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.csv")
	if err := os.WriteFile(path, []byte("a,b\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if s := stampOf(t, path, time.Now()); s != "" {
		t.Fatalf("a file written just now got stamp %q, want none (racily clean)", s)
	}
	later := time.Now().Add(time.Hour)
	before := stampOf(t, path, later)
	if !strings.HasPrefix(before, "stat:") {
		t.Fatalf("stamp = %q", before)
	}
	if again := stampOf(t, path, later); again != before {
		t.Fatalf("the same file stamped twice: %q, then %q", before, again)
	}
	fi, _ := os.Stat(path)
	if err := os.WriteFile(path, []byte("a,b\n1,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if after := stampOf(t, path, later); after == before {
		t.Fatalf("rewritten with the same size and modification time, the stamp stayed %q", after)
	}
}

// Loaded files are hashed again only when their stamp changed: the cached hash is used while the
// stamp matches (an entry with a wrong hash under the right stamp shows it is not re-read), a
// touched file is hashed again and matches, and a rewrite that keeps the size and sets the
// modification time back is still caught. The ledger holds no stamp (it must not differ between
// copies of a project), only the hash.
func TestStampedFilesStillCatchChanges(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	p.now = func() time.Time { return time.Now().Add(time.Hour) }
	p.cache = t.TempDir()
	n := usersStaging(p)
	p.write(t, "cdc/w001/users.csv", usersHeader+"INSERT,1,ann,1,false,2026-01-05 00:00:00\n")
	p.mustRun(t, wh, n, "", false)
	if got := rows(t, wh, "SELECT etag, size, length(sha256) FROM "+db+".dwm_ledger"); got != "|0|64" {
		t.Fatalf("ledger etag, size, sha256 length = %s", got)
	}
	path := filepath.Join(p.dir, "cdc/w001/users.csv")
	entry := hashCache{dir: p.cache}.entry(path)
	b, err := os.ReadFile(entry)
	stamp, sum, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	if err != nil || !strings.HasPrefix(stamp, "stat:") || len(sum) != 64 {
		t.Fatalf("cache entry %q, %v", b, err)
	}
	if got := p.mustRun(t, wh, n, "", false); got != "no new files" {
		t.Fatalf("unchanged: report = %q", got)
	}
	wrong := strings.Repeat("0", 64)
	if err := os.WriteFile(entry, []byte(stamp+" "+wrong+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := p.run(t, wh, n, "", false); !errors.Is(err, ErrFileChanged) || !strings.Contains(err.Error(), wrong) {
		t.Fatalf("with a cached hash under the file's stamp the file must not be read again: err = %v", err)
	}
	if err := os.WriteFile(entry, []byte("stat:1:2:3:4 "+wrong+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := p.mustRun(t, wh, n, "", false); got != "no new files" {
		t.Fatalf("an entry under another stamp must be ignored: report = %q", got)
	}
	if err := os.Chtimes(path, time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := p.mustRun(t, wh, n, "", false); got != "no new files" {
		t.Fatalf("touched: report = %q", got)
	}
	fi, _ := os.Stat(path)
	p.write(t, "cdc/w001/users.csv", usersHeader+"INSERT,1,ann,2,false,2026-01-05 00:00:00\n")
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.run(t, wh, n, "", false); !errors.Is(err, ErrFileChanged) {
		t.Fatalf("rewritten, same size and mtime: err = %v, want ErrFileChanged", err)
	}
}
