package chdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// LibchdbVersion is the libchdb release `dwm engine install` installs (package chdbinstall) and
// the version directory of the cache path below.
const LibchdbVersion = "26.7.3-stable.1"

// LibraryFileName is libchdb's file name on every platform, macOS included. chDB ships the
// library as libchdb.so in all four of its npm packages (@chdb/lib-linux-x64-gnu,
// -linux-arm64-gnu, -darwin-x64, -darwin-arm64: upstream's build-platform-pkg.sh copies
// libchdb.so into each and lists it in package.json "files"; the linux-x64 package, the only one
// this project can download, holds package/libchdb.so) and in its release archives, so a Mach-O
// file called libchdb.so is what a Mac gets. dlopen reads the file's format, not its suffix, so
// there is no .dylib variant to look for.
const LibraryFileName = "libchdb.so"

// EnvLibrary names the environment variable that points at libchdb.
const EnvLibrary = "DWM_LIBCHDB"

// systemLibrary is where upstream's installer and most manual installs put the library, on
// Linux and macOS alike.
const systemLibrary = "/usr/local/lib/" + LibraryFileName

// LibraryCandidates returns, in lookup order, where Open looks for libchdb given an explicit
// path (may be empty) and an environment lookup function (os.Getenv in production). An explicit
// path or DWM_LIBCHDB is authoritative: when set it is the only candidate, so a typo fails loudly
// instead of silently loading some other copy.
func LibraryCandidates(explicit string, getenv func(string) string) []string {
	if explicit != "" {
		return []string{explicit}
	}
	if p := getenv(EnvLibrary); p != "" {
		return []string{p}
	}
	var out []string
	if p := CacheLibraryPath(getenv); p != "" {
		out = append(out, p)
	}
	return append(out, systemLibrary)
}

// CacheLibraryPath is where `dwm engine install` puts the pinned library:
// CacheDir/libchdb/<LibchdbVersion>/libchdb.so, or "" when no cache directory can be named.
// The layout is the one the former scripts/install-libchdb.sh used, so existing caches keep
// working.
func CacheLibraryPath(getenv func(string) string) string {
	c := CacheDir(getenv)
	if c == "" {
		return ""
	}
	return filepath.Join(c, "libchdb", LibchdbVersion, LibraryFileName)
}

// CacheDir is dwm's cache: ${DWM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dwm}. It is the same
// on macOS on purpose: os.UserCacheDir would say ~/Library/Caches there, but the docs, the test
// tool installer (scripts/test-tool.sh) and existing installs all use ~/.cache/dwm, and one
// documented place on every platform is easier to find, clean and override.
func CacheDir(getenv func(string) string) string {
	if d := getenv("DWM_CACHE_DIR"); d != "" {
		return d
	}
	if x := getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, "dwm")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "dwm")
	}
	return ""
}

// FindLibrary returns the first candidate that exists, or an error wrapping
// warehouse.ErrLibraryNotFound that lists every place looked and how to install the library.
func FindLibrary(explicit string, getenv func(string) string) (string, error) {
	cands := LibraryCandidates(explicit, getenv)
	for _, p := range cands {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: looked in %s; install it with `dwm engine install`, "+
		"or point %s at an existing %s", warehouse.ErrLibraryNotFound, strings.Join(cands, ", "), EnvLibrary, LibraryFileName)
}

// CheckLibrary loads the library at path and binds every symbol dwm calls, without starting
// the engine, so `dwm engine status` can tell a usable library from a broken or foreign one.
// Loading is process-wide and permanent (see engine), which is fine for a status check and the
// same library a later Open would load.
func CheckLibrary(path string) error {
	if path == "" {
		return errors.New("no library path")
	}
	_, err := loadLib(path)
	return err
}
