package chdbinstall

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Options configure Install.
type Options struct {
	Package Package
	// Dest is the library file to create: chdb.CacheLibraryPath in production. Its directory
	// (named after the version) appears whole, by one rename, or not at all.
	Dest string
	// NPM is the npm executable; "" looks npm up on PATH.
	NPM string
	// Env is npm's environment; nil inherits this process's, which is what users expect (their
	// registry, proxy and cache settings).
	Env []string
	// Force reinstalls even when Dest exists.
	Force bool
	// Log receives one line per step, for people; nil discards.
	Log io.Writer
}

// Result describes a finished install.
type Result struct {
	Path      string // the library
	Already   bool   // Dest existed and nothing was fetched
	Integrity string // the package's sha512 integrity, as verified
	Pinned    bool   // verified against dwm's pin, not only the registry's published value
}

// Provenance is what install.json beside the library records about where it came from.
type Provenance struct {
	Package   string `json:"package"`
	Version   string `json:"version"`
	Integrity string `json:"integrity"`
	Pinned    bool   `json:"pinned"`
}

// ProvenanceFile is written beside the library by Install (older installs made by
// scripts/install-libchdb.sh have none).
const ProvenanceFile = "install.json"

// Temporary directories inside the cache's libchdb directory. ".dl." is what the former shell
// installer used; both are only ever leftovers of a killed install once the lock is held.
const (
	stagingPrefix    = ".install-"
	oldStagingPrefix = ".dl."
)

// Install fetches o.Package with npm, verifies its sha512 integrity, and installs its
// libchdb.so as o.Dest. When o.Dest exists it does nothing (unless o.Force). Concurrent
// installs into one cache wait for each other. On any error, or when ctx ends, nothing is left
// behind but what was there before.
func Install(ctx context.Context, o Options) (Result, error) {
	res := Result{Path: o.Dest}
	if o.Dest == "" {
		return res, errors.New("no cache directory to install into: set HOME or DWM_CACHE_DIR")
	}
	if !o.Force && isFile(o.Dest) {
		res.Already = true
		return res, nil
	}
	n, err := findNPM(o.NPM, o.Env)
	if err != nil {
		return res, err
	}
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	verDir := filepath.Dir(o.Dest)
	root := filepath.Dir(verDir)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return res, err
	}
	unlock, err := lockInstall(ctx, root, func(holder string) {
		logf("waiting for another dwm engine install (%s) to finish", holder)
	})
	if err != nil {
		return res, err
	}
	defer unlock()
	if !o.Force && isFile(o.Dest) { // installed by the one we waited for
		res.Already = true
		return res, nil
	}
	removeStale(root)
	tmp, err := os.MkdirTemp(root, stagingPrefix)
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tmp)

	spec := o.Package.Spec()
	want := o.Package.Integrity
	res.Pinned = want != ""
	if !res.Pinned {
		logf("reading %s's published integrity through npm (dwm pins none for this platform)", spec)
		if want, err = n.publishedIntegrity(ctx, spec); err != nil {
			return res, explainNotFound(ctx, n, spec, err)
		}
	}
	logf("fetching %s with npm (about 180 MB, once)", spec)
	tgz, err := pack(ctx, n, tmp, spec)
	if err != nil {
		return res, explainNotFound(ctx, n, spec, err)
	}
	if res.Integrity, err = verifyFile(tgz, want); err != nil {
		return res, fmt.Errorf("%s: %w; nothing was installed", spec, err)
	}
	source := "pinned in dwm"
	if !res.Pinned {
		source = "as the registry publishes it"
	}
	logf("verified %s (%s)", res.Integrity, source)

	stage := filepath.Join(tmp, "stage")
	if err := os.Mkdir(stage, 0o755); err != nil {
		return res, err
	}
	if err := extractLibrary(tgz, filepath.Join(stage, filepath.Base(o.Dest))); err != nil {
		return res, fmt.Errorf("%s: %w", spec, err)
	}
	prov, _ := json.MarshalIndent(Provenance{Package: o.Package.Name, Version: o.Package.Version,
		Integrity: res.Integrity, Pinned: res.Pinned}, "", "  ")
	if err := os.WriteFile(filepath.Join(stage, ProvenanceFile), append(prov, '\n'), 0o644); err != nil {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	if err := commit(stage, verDir, filepath.Join(tmp, "old")); err != nil {
		return res, err
	}
	logf("installed %s", o.Dest)
	return res, nil
}

// explainNotFound adds what to do when the registry has no such package.
func explainNotFound(ctx context.Context, n npm, spec string, err error) error {
	if !errors.Is(err, ErrPackageNotFound) {
		return err
	}
	reg := n.registry(ctx)
	if reg == "" {
		reg = "(npm config get registry failed)"
	}
	return fmt.Errorf("%w\nThe registry npm uses, %s, does not serve %s, the libchdb package for this platform. "+
		"Point npm at a registry that carries it (npm config set registry URL), or install libchdb %s yourself "+
		"and set DWM_LIBCHDB to its path. Nothing was installed", err, reg, spec, strings.TrimPrefix(spec, "@"))
}

// pack downloads spec into a fresh directory under tmp and returns the tarball's path.
// --ignore-scripts: fetching a registry tarball runs no scripts anyway; the flag keeps it so
// whatever the user's configuration says.
func pack(ctx context.Context, n npm, tmp, spec string) (string, error) {
	dl := filepath.Join(tmp, "download")
	if err := os.Mkdir(dl, 0o755); err != nil {
		return "", err
	}
	if _, err := n.run(ctx, dl, "pack", "--ignore-scripts", spec); err != nil {
		return "", err
	}
	tgzs, _ := filepath.Glob(filepath.Join(dl, "*.tgz"))
	if len(tgzs) != 1 {
		return "", fmt.Errorf("npm pack %s: expected one .tgz in %s, found %d", spec, dl, len(tgzs))
	}
	return tgzs[0], nil
}

// commit moves stage into place as verDir with one rename, so the version directory appears
// complete or not at all. An existing verDir (an older install being replaced, or the empty
// directory a killed shell installer left) is first renamed to old, which the caller deletes,
// and put back if the final rename fails.
func commit(stage, verDir, old string) error {
	moved := false
	if _, err := os.Lstat(verDir); err == nil {
		if err := os.Rename(verDir, old); err != nil {
			return fmt.Errorf("replace %s: %w", verDir, err)
		}
		moved = true
	}
	if err := os.Rename(stage, verDir); err != nil {
		if moved {
			_ = os.Rename(old, verDir)
		}
		return fmt.Errorf("install %s: %w", verDir, err)
	}
	syncDir(filepath.Dir(verDir))
	return nil
}

// removeStale deletes temporary directories of installs that were killed; the caller holds the
// install lock, so none of them belongs to a running install.
func removeStale(root string) {
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if e.IsDir() && (strings.HasPrefix(e.Name(), stagingPrefix) || strings.HasPrefix(e.Name(), oldStagingPrefix)) {
			_ = os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}

// ReadProvenance reads install.json from the directory holding the library; ok is false when
// there is none (an install made before dwm engine install existed, or a library put there by
// hand).
func ReadProvenance(libPath string) (Provenance, bool) {
	var p Provenance
	b, err := os.ReadFile(filepath.Join(filepath.Dir(libPath), ProvenanceFile))
	if err != nil || json.Unmarshal(b, &p) != nil {
		return Provenance{}, false
	}
	return p, true
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Size() > 0
}

// syncDir makes a rename inside dir durable; errors are ignored because the rename itself
// already succeeded and some filesystems refuse to fsync directories.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
