package chdb

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/warehouse"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLibraryCandidates(t *testing.T) {
	suffix := filepath.Join("libchdb", LibchdbVersion, LibraryFileName)
	for _, tc := range []struct {
		name     string
		explicit string
		env      map[string]string
		want     []string
	}{
		{"explicit wins", "/x/lib.so", map[string]string{EnvLibrary: "/e.so"}, []string{"/x/lib.so"}},
		{"env next", "", map[string]string{EnvLibrary: "/e.so", "HOME": "/h"}, []string{"/e.so"}},
		{"DWM_CACHE_DIR", "", map[string]string{"DWM_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"},
			[]string{filepath.Join("/c", suffix), systemLibrary}},
		{"XDG_CACHE_HOME", "", map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"},
			[]string{filepath.Join("/x/dwm", suffix), systemLibrary}},
		{"HOME", "", map[string]string{"HOME": "/h"}, []string{filepath.Join("/h/.cache/dwm", suffix), systemLibrary}},
		{"no HOME", "", map[string]string{}, []string{systemLibrary}},
	} {
		if got := LibraryCandidates(tc.explicit, env(tc.env)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestFindLibraryMissing(t *testing.T) {
	if _, err := os.Stat(systemLibrary); err == nil {
		t.Skip(systemLibrary + " exists on this machine")
	}
	dir := t.TempDir()
	_, err := FindLibrary("", env(map[string]string{"DWM_CACHE_DIR": dir}))
	if !errors.Is(err, warehouse.ErrLibraryNotFound) {
		t.Fatalf("err = %v, want ErrLibraryNotFound", err)
	}
	for _, s := range []string{dir, systemLibrary, "`dwm engine install`", EnvLibrary} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not mention %q", err, s)
		}
	}
	lib := CacheLibraryPath(env(map[string]string{"DWM_CACHE_DIR": dir}))
	if lib != filepath.Join(dir, "libchdb", LibchdbVersion, "libchdb.so") {
		t.Fatalf("CacheLibraryPath = %s: the cache layout changed, existing installs would be lost", lib)
	}
	if err := os.MkdirAll(filepath.Dir(lib), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lib, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := FindLibrary("", env(map[string]string{"DWM_CACHE_DIR": dir})); err != nil || got != lib {
		t.Fatalf("findLibrary = %q, %v; want %q", got, err, lib)
	}
}

// Open with a missing library fails cleanly instead of crashing, and loads nothing.
func TestOpenWithoutLibrary(t *testing.T) {
	_, err := Open(t.Context(), Options{Path: t.TempDir(), LibraryPath: "/nonexistent/libchdb.so"})
	if !errors.Is(err, warehouse.ErrLibraryNotFound) {
		t.Fatalf("err = %v, want ErrLibraryNotFound", err)
	}
}

// CheckLibrary refuses a file that is not a loadable library, with the path in the message.
func TestCheckLibraryRejectsJunk(t *testing.T) {
	p := filepath.Join(t.TempDir(), LibraryFileName)
	if err := os.WriteFile(p, []byte("not a shared object"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := CheckLibrary(p)
	if err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("CheckLibrary(junk) = %v, want an error naming %s", err, p)
	}
}
