package chdb

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// LibchdbVersion is the libchdb release scripts/install-libchdb.sh installs; the cache path
// below must match the script's.
const LibchdbVersion = "26.7.3-stable.1"

// EnvLibrary names the environment variable that points at libchdb.so.
const EnvLibrary = "DWM_LIBCHDB"

// systemLibrary is where upstream's installer and most manual installs put the library.
const systemLibrary = "/usr/local/lib/libchdb.so"

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
	if c := cacheDir(getenv); c != "" {
		out = append(out, filepath.Join(c, "libchdb", LibchdbVersion, "libchdb.so"))
	}
	return append(out, systemLibrary)
}

// cacheDir mirrors the install script: ${DWM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dwm}.
func cacheDir(getenv func(string) string) string {
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

// findLibrary returns the first candidate that exists, or an error wrapping
// warehouse.ErrLibraryNotFound that lists every place looked and how to install the library.
func findLibrary(explicit string, getenv func(string) string) (string, error) {
	cands := LibraryCandidates(explicit, getenv)
	for _, p := range cands {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: looked in %s; install it with `make setup` or scripts/install-libchdb.sh, "+
		"or point %s at an existing libchdb.so", warehouse.ErrLibraryNotFound, strings.Join(cands, ", "), EnvLibrary)
}
