package cdc

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func stampOf(t *testing.T, path string, now time.Time) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return statStamp(fi, now)
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

// With stamps recorded (the files older than the racy window), an unchanged file is not
// reported as changed, a touched one neither (it is hashed again and matches), and one rewritten
// with the same size and its modification time set back still is.
func TestStampedFilesStillCatchChanges(t *testing.T) {
	wh, db := testDB(t)
	p := newProject(t, db)
	p.now = func() time.Time { return time.Now().Add(time.Hour) }
	n := usersStaging(p)
	p.write(t, "cdc/w001/users.csv", usersHeader+"INSERT,1,ann,1,false,2026-01-05 00:00:00\n")
	p.mustRun(t, wh, n, "", false)
	if got := rows(t, wh, "SELECT startsWith(etag, 'stat:'), size FROM "+db+".dwm_ledger"); got != "1|"+
		strconv.Itoa(len(usersHeader+"INSERT,1,ann,1,false,2026-01-05 00:00:00\n")) {
		t.Fatalf("ledger stamp, size = %s", got)
	}
	if got := p.mustRun(t, wh, n, "", false); got != "no new files" {
		t.Fatalf("unchanged: report = %q", got)
	}
	path := filepath.Join(p.dir, "cdc/w001/users.csv")
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
