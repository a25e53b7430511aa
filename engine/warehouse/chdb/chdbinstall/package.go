// Package chdbinstall installs the pinned libchdb, the embedded ClickHouse engine, for the
// current platform into dwm's cache: the work behind `dwm engine install`.
//
// chDB publishes the library in one npm package per platform. The installer fetches it with
// the user's own npm (`npm pack`), so the registry, proxy and certificates npm is configured
// with apply and no registry address is written into dwm; it then checks the tarball against
// the package's published sha512 integrity (pinned in dwm where it could be read when dwm was
// made, otherwise read through npm at install time), extracts package/libchdb.so and renames it
// into place. Everything happens in a temporary directory beside the destination, so a checksum
// mismatch, a missing package or an interrupted download leaves nothing half-installed.
package chdbinstall

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// Package is one platform's npm package carrying libchdb.
type Package struct {
	Name    string // e.g. @chdb/lib-linux-x64-gnu
	Version string // chdb.LibchdbVersion
	// Integrity is the npm dist.integrity ("sha512-<base64>") dwm pins for this package, or ""
	// when it could not be read when dwm was made; the installer then uses the integrity the
	// registry publishes, read through npm at install time.
	Integrity string
}

// Spec is the package as npm names it: name@version.
func (p Package) Spec() string { return p.Name + "@" + p.Version }

// ErrUnsupportedPlatform means chDB publishes no libchdb for this operating system and CPU.
var ErrUnsupportedPlatform = errors.New("no libchdb package for this platform")

// linuxX64Integrity is @chdb/lib-linux-x64-gnu@26.7.3-stable.1's dist.integrity, read with
// `npm view @chdb/lib-linux-x64-gnu@26.7.3-stable.1 dist.integrity` and checked against the
// sha512 of the tarball `npm pack` downloads. The darwin and linux-arm64 packages are not
// served to the machines dwm is developed on, so their integrity cannot be pinned here.
const linuxX64Integrity = "sha512-XP97mMqnc5tZpKQywR8N7cLTsHNiTmHr30pC5mzo3jWmukjKn2IBa60c2B/gWUNcuFjOMjWoorQICCqBVj5wpw=="

// ForPlatform returns the package for GOOS/GOARCH, or an error wrapping ErrUnsupportedPlatform
// that lists the platforms there are packages for. Linux packages are built against glibc
// (the "-gnu" suffix): musl systems such as Alpine cannot load them.
func ForPlatform(goos, goarch string) (Package, error) {
	p := Package{Version: chdb.LibchdbVersion}
	switch goos + "/" + goarch {
	case "linux/amd64":
		p.Name, p.Integrity = "@chdb/lib-linux-x64-gnu", linuxX64Integrity
	case "linux/arm64":
		p.Name = "@chdb/lib-linux-arm64-gnu"
	case "darwin/amd64":
		p.Name = "@chdb/lib-darwin-x64"
	case "darwin/arm64":
		p.Name = "@chdb/lib-darwin-arm64"
	default:
		return Package{}, fmt.Errorf("%w: %s/%s (chDB publishes libchdb for linux/amd64, linux/arm64, darwin/amd64 and darwin/arm64)",
			ErrUnsupportedPlatform, goos, goarch)
	}
	return p, nil
}

// ErrIntegrity means a downloaded package's sha512 differs from the expected integrity.
var ErrIntegrity = errors.New("checksum mismatch")

// sha512Of parses an npm integrity string (Subresource Integrity: space-separated
// "algo-base64" entries) and returns its sha512 digests. npm has published sha512 for every
// package since 2017; an integrity without one is refused rather than checked with sha1.
func sha512Of(integrity string) ([][]byte, error) {
	var out [][]byte
	for _, f := range strings.Fields(integrity) {
		algo, b64, ok := strings.Cut(f, "-")
		if !ok || algo != "sha512" {
			continue
		}
		if i := strings.IndexByte(b64, '?'); i >= 0 { // SRI options, unused by npm
			b64 = b64[:i]
		}
		d, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(d) != sha512.Size {
			return nil, fmt.Errorf("integrity %q: bad sha512 digest", f)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("integrity %q has no sha512 digest", integrity)
	}
	return out, nil
}

// verifyFile checks the file at path against integrity and returns the file's own integrity
// string. A mismatch wraps ErrIntegrity and shows both values.
func verifyFile(path, integrity string) (string, error) {
	want, err := sha512Of(integrity)
	if err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	sum := h.Sum(nil)
	got := "sha512-" + base64.StdEncoding.EncodeToString(sum)
	for _, w := range want {
		if bytes.Equal(w, sum) {
			return got, nil
		}
	}
	return got, fmt.Errorf("%w: the downloaded package has %s, expected %s", ErrIntegrity, got, integrity)
}
