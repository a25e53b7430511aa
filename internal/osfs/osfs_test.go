package osfs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteInPlace(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a", "b", "m.sql")
	if err := MakeDirs([]string{p, filepath.Join(dir, "a", "b", "n.sql")}); err != nil {
		t.Fatal(err)
	}
	read := func() string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if err := WriteInPlace(p, []byte("select 1 as long_name\n")); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "select 1 as long_name\n" {
		t.Fatalf("new file holds %q", got)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o644&^umask(t) {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	// Same bytes: the file is not touched at all.
	old := time.Unix(1_000_000, 0)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	if err := WriteInPlace(p, []byte("select 1 as long_name\n")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); !st.ModTime().Equal(old) {
		t.Errorf("unchanged content rewrote the file (mtime %v)", st.ModTime())
	}
	// Same length, other bytes; then shorter: the tail of the old text must not survive.
	for _, want := range []string{"select 2 as long_name\n", "select 3\n", "select 4 as a much longer name\n"} {
		if err := WriteInPlace(p, []byte(want)); err != nil {
			t.Fatal(err)
		}
		if got := read(); got != want {
			t.Fatalf("wrote %q, file holds %q", want, got)
		}
	}
	// A read-only file in a writable folder is replaced, as the atomic writer did.
	if err := os.Chmod(p, 0o444); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() != 0 { // root may write read-only files anyway
		if err := WriteInPlace(p, []byte("select 5\n")); err != nil {
			t.Fatal(err)
		}
		if got := read(); got != "select 5\n" {
			t.Fatalf("read-only file holds %q", got)
		}
	}
	if err := WriteInPlace(filepath.Join(dir, "missing", "x.sql"), []byte("x")); err == nil {
		t.Fatal("writing into a folder that does not exist succeeded")
	}
}

// umask is the process's file creation mask, read from a file created with mode 0777.
func umask(t *testing.T) os.FileMode {
	f, err := os.OpenFile(filepath.Join(t.TempDir(), "f"), os.O_CREATE|os.O_WRONLY, 0o777)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return 0o777 &^ st.Mode().Perm()
}

func TestReadFileMatchesOSDirFS(t *testing.T) {
	dir := t.TempDir()
	big := make([]byte, 100_000)
	for i := range big {
		big[i] = byte('a' + i%26)
	}
	for name, data := range map[string][]byte{"empty.sql": nil, "small.sql": []byte("select 1\n"), "sub/big.sql": big} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fast, std := DirFS(dir), os.DirFS(dir)
	for _, name := range []string{"empty.sql", "small.sql", "sub/big.sql", "missing.sql", "sub", "../escape", "/abs"} {
		got, gerr := fs.ReadFile(fast, name)
		want, werr := fs.ReadFile(std, name)
		if !bytes.Equal(got, want) || fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Errorf("%s: got %d bytes, %v; os.DirFS gives %d bytes, %v", name, len(got), gerr, len(want), werr)
		}
		if werr != nil && !errors.Is(gerr, errors.Unwrap(werr)) {
			t.Errorf("%s: error %v does not wrap %v", name, gerr, errors.Unwrap(werr))
		}
	}
	// Everything else is os.DirFS's: walking works.
	var walked []string
	if err := fs.WalkDir(fast, ".", func(p string, d fs.DirEntry, err error) error {
		walked = append(walked, p)
		return err
	}); err != nil || len(walked) != 5 {
		t.Fatalf("walk: %v %v", walked, err)
	}
}
