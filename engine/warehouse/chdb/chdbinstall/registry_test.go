package chdbinstall

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// registry is a package registry on a loopback port that the real npm talks to through its
// own configuration (npm_config_registry), the way a company mirror would be configured. It
// serves what a test puts in it and answers 404 for everything else, as registries do; it lets
// the tests give npm a package whose published integrity differs from dwm's pin, or none at all,
// which the real registry cannot be made to do.
type registry struct {
	srv *httptest.Server

	mu       sync.Mutex
	packages map[string]servedPackage // by package name
	// stall, when set, is called by the tarball handler after it has sent half the tarball
	// and must block until the request should end.
	stall func(r *http.Request)
}

type servedPackage struct {
	version   string
	tgz       []byte
	integrity string // published dist.integrity; defaults to the tarball's own
}

func newRegistry(t *testing.T) *registry {
	t.Helper()
	reg := &registry{packages: map[string]servedPackage{}}
	reg.srv = httptest.NewServer(http.HandlerFunc(reg.serve))
	t.Cleanup(reg.srv.Close)
	return reg
}

func (reg *registry) put(name string, p servedPackage) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if p.integrity == "" {
		p.integrity = integrityOf(p.tgz)
	}
	reg.packages[name] = p
}

func (reg *registry) serve(w http.ResponseWriter, r *http.Request) {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/") // "@chdb/lib-x" (npm sends @chdb%2flib-x)
	if name, ok := strings.CutPrefix(path, "tarballs/"); ok {
		p, found := reg.packages[strings.TrimSuffix(name, ".tgz")]
		if !found {
			http.NotFound(w, r)
			return
		}
		stall := reg.stall
		reg.mu.Unlock()
		defer reg.mu.Lock()
		w.Header().Set("Content-Length", strconv.Itoa(len(p.tgz)))
		if stall == nil {
			_, _ = w.Write(p.tgz)
			return
		}
		_, _ = w.Write(p.tgz[:len(p.tgz)/2])
		w.(http.Flusher).Flush()
		stall(r)
		return
	}
	p, found := reg.packages[path]
	if !found {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"Not found"}`))
		return
	}
	sum := sha1.Sum(p.tgz)
	doc := map[string]any{
		"name":      path,
		"dist-tags": map[string]string{"latest": p.version},
		"versions": map[string]any{p.version: map[string]any{
			"name": path, "version": p.version,
			"dist": map[string]any{
				"integrity": p.integrity,
				"shasum":    hex.EncodeToString(sum[:]),
				"tarball":   reg.srv.URL + "/tarballs/" + path + ".tgz",
			},
		}},
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
}

// npmEnv is an environment in which npm uses only this registry and a private cache: proxies
// and the user's registry settings are overridden (environment beats .npmrc files in npm's
// configuration order), and retries are off so failures are immediate.
func (reg *registry) npmEnv(t *testing.T) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "npm_config_") || strings.HasSuffix(lk, "_proxy") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"npm_config_registry="+reg.srv.URL+"/",
		"npm_config_cache="+t.TempDir(),
		"npm_config_fetch_retries=0",
		"npm_config_update_notifier=false",
		"npm_config_audit=false",
		"npm_config_fund=false",
	)
}

// npmAndRegistry starts a test that runs npm against its own loopback registry. Such tests run
// in parallel: npm's start-up, not the work, is most of their time.
func npmAndRegistry(t *testing.T) (string, *registry) {
	t.Helper()
	t.Parallel()
	return requireNPM(t), newRegistry(t)
}

// nothingInstalled fails t unless the cache's libchdb directory is empty but for the lock.
func nothingInstalled(t *testing.T, root string) {
	t.Helper()
	if got := cacheEntries(t, root); len(got) != 0 {
		t.Errorf("cache holds %v after a failed install, want nothing", got)
	}
}

// requireNPM returns npm's path; npm is one of the three things dwm's README requires, so a
// machine without it fails the test rather than skipping it.
func requireNPM(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("npm")
	if err != nil {
		t.Fatalf("npm is required (README: Go, npm and make): %v", err)
	}
	return p
}

// packageTarball builds an npm package tarball: package/package.json plus files.
func packageTarball(t *testing.T, name, version string, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	manifest, _ := json.Marshal(map[string]string{"name": name, "version": version})
	add := func(n string, body []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: "package/" + n, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	add("package.json", manifest)
	for n, body := range files {
		add(n, []byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func integrityOf(b []byte) string {
	sum := sha512.Sum512(b)
	return "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// cacheEntries lists what is in the cache's libchdb directory, apart from the install lock,
// which stays by design (an empty file; the flock is the lock).
func cacheEntries(t *testing.T, root string) []string {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() != ".install.lock" {
			out = append(out, e.Name())
		}
	}
	return out
}

// dest is the library path Install is given in tests, the production one under a temp cache,
// and the cache's libchdb directory.
func dest(t *testing.T) (lib, root string) {
	cache := t.TempDir()
	lib = chdb.CacheLibraryPath(func(k string) string {
		if k == "DWM_CACHE_DIR" {
			return cache
		}
		return ""
	})
	return lib, filepath.Join(cache, "libchdb")
}
