package chdbinstall

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// libraryEntry is where npm package tarballs hold the library: npm puts every file of a
// package under package/, and chDB's packages ship package/libchdb.so on every platform.
const libraryEntry = "package/libchdb.so"

// extractLibrary copies libraryEntry out of the verified tarball tgz into dest (a new file),
// synced to disk before it is renamed into place.
func extractLibrary(tgz, dest string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", tgz, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("the package has no %s", libraryEntry)
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", tgz, err)
		}
		if h.Name != libraryEntry && h.Name != "./"+libraryEntry {
			continue
		}
		if h.Typeflag != tar.TypeReg {
			return fmt.Errorf("%s in the package is not a regular file", libraryEntry)
		}
		return writeFile(dest, tr)
	}
}

func writeFile(dest string, r io.Reader) error {
	// Executable like the file in the package; the loader does not need it, people expect it.
	out, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return fmt.Errorf("write %s: %w", dest, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("write %s: %w", dest, err)
	}
	return out.Close()
}
