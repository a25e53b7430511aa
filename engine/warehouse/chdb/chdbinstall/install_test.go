package chdbinstall

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

const fakeLib = "\x7fELF a stand-in for libchdb, served by the loopback registry"

// The registry serves a package whose integrity matches what the registry publishes (so npm
// itself accepts it) but not dwm's pin: the case the pin exists for (a mirror or account that
// serves something else). Install refuses it, names both digests, and leaves nothing behind.
func TestInstallRefusesPackageNotMatchingPin(t *testing.T) {
	npmPath, reg := npmAndRegistry(t)
	pkg, err := ForPlatform("linux", "amd64")
	if err != nil || pkg.Integrity == "" {
		t.Fatalf("linux/amd64 must be pinned: %+v, %v", pkg, err)
	}
	tgz := packageTarball(t, pkg.Name, pkg.Version, map[string]string{"libchdb.so": fakeLib})
	reg.put(pkg.Name, servedPackage{version: pkg.Version, tgz: tgz})
	lib, root := dest(t)

	_, err = Install(t.Context(), Options{Package: pkg, Dest: lib, NPM: npmPath, Env: reg.npmEnv(t)})
	if !errors.Is(err, ErrIntegrity) {
		t.Fatalf("err = %v, want ErrIntegrity", err)
	}
	for _, want := range []string{pkg.Spec(), integrityOf(tgz), pkg.Integrity, "nothing was installed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	nothingInstalled(t, root)
}

// A platform dwm has no pin for is verified against the integrity the registry publishes,
// read through npm, then installed; a second install is a no-op, --force replaces it.
func TestInstallVerifiesPublishedIntegrity(t *testing.T) {
	npmPath, reg := npmAndRegistry(t)
	pkg, _ := ForPlatform("darwin", "arm64")
	if pkg.Integrity != "" {
		t.Fatalf("darwin/arm64 unexpectedly pinned; this test needs an unpinned platform")
	}
	tgz := packageTarball(t, pkg.Name, pkg.Version, map[string]string{"libchdb.so": fakeLib, "index.js": "//"})
	reg.put(pkg.Name, servedPackage{version: pkg.Version, tgz: tgz})
	lib, root := dest(t)
	// Leftovers of killed installs (this installer's and the former shell script's) go away.
	for _, d := range []string{".install-123", ".dl.abc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var log bytes.Buffer
	opts := Options{Package: pkg, Dest: lib, NPM: npmPath, Env: reg.npmEnv(t), Log: &log}

	res, err := Install(t.Context(), opts)
	if err != nil {
		t.Fatalf("install: %v\n%s", err, log.String())
	}
	if res.Already || res.Pinned || res.Integrity != integrityOf(tgz) || res.Path != lib {
		t.Errorf("result = %+v, want a fresh unpinned install with integrity %s", res, integrityOf(tgz))
	}
	if b, err := os.ReadFile(lib); err != nil || string(b) != fakeLib {
		t.Fatalf("installed library = %q, %v; want the package's libchdb.so", b, err)
	}
	if prov, ok := ReadProvenance(lib); !ok || prov != (Provenance{Package: pkg.Name, Version: pkg.Version, Integrity: integrityOf(tgz)}) {
		t.Errorf("provenance = %+v, %v", prov, ok)
	}
	if got, want := cacheEntries(t, root), []string{filepath.Base(filepath.Dir(lib))}; !reflect.DeepEqual(got, want) {
		t.Errorf("cache holds %v, want only %v", got, want)
	}
	if !strings.Contains(log.String(), "as the registry publishes it") {
		t.Errorf("log does not say where the integrity came from:\n%s", log.String())
	}

	reg.put(pkg.Name, servedPackage{version: pkg.Version, tgz: packageTarball(t, pkg.Name, pkg.Version, map[string]string{"libchdb.so": "v2"})})
	if res, err := Install(t.Context(), opts); err != nil || !res.Already {
		t.Fatalf("second install = %+v, %v; want Already", res, err)
	}
	opts.Force = true
	if _, err := Install(t.Context(), opts); err != nil {
		t.Fatalf("forced install: %v", err)
	}
	if b, _ := os.ReadFile(lib); string(b) != "v2" {
		t.Errorf("forced install left %q, want the new package's library", b)
	}
	if got := cacheEntries(t, root); len(got) != 1 {
		t.Errorf("cache holds %v after a forced install, want one version directory", got)
	}
}

// A registry without the platform's package: a clear error naming the package and the
// registry, for both an unpinned platform (npm view fails) and a pinned one (npm pack fails).
func TestInstallMissingPlatformPackage(t *testing.T) {
	npmPath, reg := npmAndRegistry(t)
	for _, plat := range [][2]string{{"linux", "arm64"}, {"linux", "amd64"}} {
		pkg, _ := ForPlatform(plat[0], plat[1])
		lib, root := dest(t)
		_, err := Install(t.Context(), Options{Package: pkg, Dest: lib, NPM: npmPath, Env: reg.npmEnv(t)})
		if !errors.Is(err, ErrPackageNotFound) {
			t.Fatalf("%s: err = %v, want ErrPackageNotFound", pkg.Name, err)
		}
		for _, want := range []string{pkg.Spec(), reg.srv.URL, "DWM_LIBCHDB", "Nothing was installed"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error lacks %q:\n%v", pkg.Name, want, err)
			}
		}
		nothingInstalled(t, root)
	}
}

// A package that verifies but carries no libchdb.so is refused before anything is installed.
func TestInstallPackageWithoutLibrary(t *testing.T) {
	npmPath, reg := npmAndRegistry(t)
	pkg, _ := ForPlatform("linux", "arm64")
	reg.put(pkg.Name, servedPackage{version: pkg.Version, tgz: packageTarball(t, pkg.Name, pkg.Version, map[string]string{"index.js": "//"})})
	lib, root := dest(t)
	_, err := Install(t.Context(), Options{Package: pkg, Dest: lib, NPM: npmPath, Env: reg.npmEnv(t)})
	if err == nil || !strings.Contains(err.Error(), "has no package/libchdb.so") {
		t.Fatalf("err = %v, want one saying the package has no package/libchdb.so", err)
	}
	nothingInstalled(t, root)
}

// A download interrupted half-way (Ctrl-C cancels the context; npm is killed) leaves nothing.
func TestInstallInterruptedDownload(t *testing.T) {
	npmPath, reg := npmAndRegistry(t)
	pkg, _ := ForPlatform("linux", "arm64")
	reg.put(pkg.Name, servedPackage{version: pkg.Version, tgz: packageTarball(t, pkg.Name, pkg.Version,
		map[string]string{"libchdb.so": strings.Repeat("x", 1<<20)})})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	reg.stall = func(r *http.Request) {
		cancel() // the user presses Ctrl-C while half the package has arrived
		<-r.Context().Done()
	}
	lib, root := dest(t)
	_, err := Install(ctx, Options{Package: pkg, Dest: lib, NPM: npmPath, Env: reg.npmEnv(t)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	nothingInstalled(t, root)
}

// Two installs at once into one cache: the lock makes the second wait and then find the
// library the first installed.
func TestInstallConcurrent(t *testing.T) {
	npmPath, reg := npmAndRegistry(t)
	pkg, _ := ForPlatform("darwin", "amd64")
	reg.put(pkg.Name, servedPackage{version: pkg.Version, tgz: packageTarball(t, pkg.Name, pkg.Version, map[string]string{"libchdb.so": fakeLib})})
	lib, _ := dest(t)
	env := reg.npmEnv(t)
	var wg sync.WaitGroup
	results := make([]Result, 2)
	errs := make([]error, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = Install(t.Context(), Options{Package: pkg, Dest: lib, NPM: npmPath, Env: env})
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors: %v, %v", errs[0], errs[1])
	}
	if results[0].Already == results[1].Already {
		t.Errorf("results %+v: want exactly one install and one Already", results)
	}
	if b, _ := os.ReadFile(lib); string(b) != fakeLib {
		t.Errorf("library = %q", b)
	}
}

// Without npm, the error says what to install, and nothing is created.
func TestInstallWithoutNPM(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	pkg, _ := ForPlatform("linux", "amd64")
	lib, root := dest(t)
	_, err := Install(t.Context(), Options{Package: pkg, Dest: lib})
	if !errors.Is(err, ErrNoNPM) {
		t.Fatalf("err = %v, want ErrNoNPM", err)
	}
	for _, want := range []string{"Node.js", "apt install npm", "brew install node", "DWM_LIBCHDB"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("%s exists after a failed install: %v", root, err)
	}
}

func TestForPlatform(t *testing.T) {
	for plat, name := range map[[2]string]string{
		{"linux", "amd64"}:  "@chdb/lib-linux-x64-gnu",
		{"linux", "arm64"}:  "@chdb/lib-linux-arm64-gnu",
		{"darwin", "amd64"}: "@chdb/lib-darwin-x64",
		{"darwin", "arm64"}: "@chdb/lib-darwin-arm64",
	} {
		p, err := ForPlatform(plat[0], plat[1])
		if err != nil || p.Name != name || p.Spec() != name+"@26.7.3-stable.1" {
			t.Errorf("%v: %+v, %v; want %s", plat, p, err, name)
		}
	}
	for _, plat := range [][2]string{{"windows", "amd64"}, {"linux", "riscv64"}, {"linux", "386"}} {
		_, err := ForPlatform(plat[0], plat[1])
		if !errors.Is(err, ErrUnsupportedPlatform) || !strings.Contains(err.Error(), plat[0]+"/"+plat[1]) ||
			!strings.Contains(err.Error(), "darwin/arm64") {
			t.Errorf("%v: err = %v, want ErrUnsupportedPlatform naming the platform and the supported ones", plat, err)
		}
	}
}

func TestVerifyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.tgz")
	if err := os.WriteFile(p, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := integrityOf([]byte("abc"))
	other := integrityOf([]byte("abd"))
	for _, tc := range []struct {
		integrity string
		ok        bool
	}{
		{good, true},
		{"sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0= " + good, true}, // several digests: a sha512 must match
		{other, false},
		{"sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0=", false}, // no sha512: refused, not checked with sha1
		{"sha512-notbase64!", false},
		{"", false},
	} {
		got, err := verifyFile(p, tc.integrity)
		if (err == nil) != tc.ok {
			t.Errorf("verifyFile(%q) = %v, want ok=%v", tc.integrity, err, tc.ok)
		}
		if tc.integrity == other && (!errors.Is(err, ErrIntegrity) || got != good) {
			t.Errorf("mismatch: %q, %v; want ErrIntegrity and the file's own integrity", got, err)
		}
	}
}
