package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestInstallOutsideRepository is issue 16's acceptance, run the way a new user would outside
// any checkout, with an empty HOME:
//
//	go install <module>/cmd/dwm@v0.1.0  →  dwm engine install  →  dwm init shop  →  dwm build
//
// The module is not published, so `go install` reads it from a file-based GOPROXY holding a
// module zip of this checkout's files (tracked and new ones, not git-ignored build output). That
// proves the module builds as a published version would, by the go command's own module-mode
// rules, and that the binary needs nothing from the repository at run time; it does not exercise
// the public proxy or checksum database. `dwm engine install` runs its real path (npm pack from
// the configured registry, sha512 check against the pin, extract, rename) into the empty HOME;
// only npm's download cache is shared with the user's, so the 180 MB package is not fetched
// again on every run. Go's module and build caches are shared for the same reason.
func TestInstallOutsideRepository(t *testing.T) {
	goBin := lookTool(t, "go")
	npmBin := lookTool(t, "npm")
	lookTool(t, "git")
	repo := repoRoot(t)
	module := modulePath(t, repo)
	const version = "v0.1.0"

	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	writeModuleProxy(t, repo, proxy, module, version)
	home := filepath.Join(tmp, "home")
	work := filepath.Join(tmp, "work")
	gobin := filepath.Join(tmp, "gobin")
	for _, d := range []string{home, work, gobin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	env := cleanEnv(home)
	env = append(env,
		"GOBIN="+gobin,
		// dwm from the file proxy; the checksum database (consulted for dwm's dependencies,
		// since `go install m@v` does not trust m's go.sum) through the configured Go proxy.
		"GOPROXY=file://"+filepath.ToSlash(proxy)+","+goEnv(t, goBin, "GOPROXY"),
		"GONOSUMDB="+module, // not in the public checksum database: it is not published
		"GOFLAGS=", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0",
		"GOMODCACHE="+goEnv(t, goBin, "GOMODCACHE"),
		"GOCACHE="+goEnv(t, goBin, "GOCACHE"),
		// The user's npm settings (registry, proxy) and download cache, found before HOME moved.
		"NPM_CONFIG_USERCONFIG="+npmConfig(t, npmBin, "userconfig"),
		"npm_config_cache="+npmConfig(t, npmBin, "cache"),
	)
	run := func(dir string, wantCode int, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		if code != wantCode {
			t.Fatalf("%s %s: exit %d, want %d\n%s", filepath.Base(name), strings.Join(args, " "), code, wantCode, out.String())
		}
		return out.String()
	}
	contains := func(what, out string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", what, w, out)
			}
		}
	}

	run(work, 0, goBin, "install", module+"/cmd/dwm@"+version)
	dwm := filepath.Join(gobin, "dwm")
	lib := filepath.Join(home, ".cache", "dwm", "libchdb", "26.7.3-stable.1", "libchdb.so")

	contains("dwm --version", run(work, 0, dwm, "--version"), "dwm version 0.1.0", "not installed; run `dwm engine install`")
	out := run(work, 0, dwm, "init", "shop")
	contains("dwm init", out, "Created project shop in shop", "project.yml", "models/schema.yml", "run `dwm engine install` first")
	shop := filepath.Join(work, "shop")
	contains("dwm build without the engine", run(shop, 2, dwm, "build"), "libchdb not found", "install it with `dwm engine install`")
	contains("dwm engine status without the engine", run(work, 1, dwm, "engine", "status"), "not found", "run `dwm engine install`")

	out = run(work, 0, dwm, "engine", "install")
	contains("dwm engine install", out, "fetching @chdb/lib-linux-x64-gnu@26.7.3-stable.1", "(pinned in dwm)", lib)
	var prov struct{ Pinned bool }
	if b, err := os.ReadFile(filepath.Join(filepath.Dir(lib), "install.json")); err != nil || json.Unmarshal(b, &prov) != nil || !prov.Pinned {
		t.Errorf("install.json: %s, %v; want a pinned install", b, err)
	}
	contains("dwm engine status", run(work, 0, dwm, "engine", "status"), lib, "loads:     yes")

	out = run(shop, 0, dwm, "build")
	contains("dwm build", out, "OK seed file shop.countries", "OK table model shop.orders", "OK view model shop.revenue_by_country",
		"PASS unit_test revenue_adds_up_orders_per_country", "PASS=10 WARN=0 ERROR=0 SKIP=0 TOTAL=10")
	out = run(shop, 0, dwm, "show", "--inline", `select sum(orders) as orders, count() as countries from {{ ref "revenue_by_country" }}`, "--output", "csv")
	if out != "orders,countries\n100,4\n" {
		t.Errorf("revenue_by_country sums to %q, want the 100 orders over 4 countries", out)
	}
	contains("dwm debug", run(shop, 0, dwm, "debug"), "libchdb:   "+lib, "connection: OK")
	contains("dwm --version", run(work, 0, dwm, "--version"), lib)
}

func lookTool(t *testing.T, name string) string {
	t.Helper()
	if name == "go" {
		if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
			return p
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required (README: Go, npm and make, in a git clone): %v", name, err)
	}
	return p
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("this test packages the repository's files and needs a git checkout: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func modulePath(t *testing.T, repo string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	m, ok := strings.CutPrefix(strings.TrimSpace(line), "module ")
	if !ok {
		t.Fatalf("go.mod does not start with a module line: %q", line)
	}
	return strings.TrimSpace(m)
}

// writeModuleProxy lays out a GOPROXY directory (the protocol's list, .info, .mod and .zip
// files) serving version of module, zipped from the checkout's files that git would commit:
// tracked ones and new ones, not those .gitignore excludes (bin/, target/, .dwm/).
func writeModuleProxy(t *testing.T, repo, proxy, module, version string) {
	t.Helper()
	dir := filepath.Join(proxy, filepath.FromSlash(module), "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = repo
	list, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	seen := map[string]bool{}
	for _, rel := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		full := filepath.Join(repo, filepath.FromSlash(rel))
		st, err := os.Lstat(full)
		if err != nil || !st.Mode().IsRegular() || seen[rel] { // deleted in the worktree, or a symlink
			continue
		}
		seen[rel] = true
		b, err := os.ReadFile(full)
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.Create(module + "@" + version + "/" + rel)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(repo, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"list":            []byte(version + "\n"),
		version + ".info": []byte(`{"Version":"` + version + `","Time":"2026-01-01T00:00:00Z"}`),
		version + ".mod":  gomod,
		version + ".zip":  buf.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// cleanEnv is this process's environment with HOME replaced and every variable that would
// point dwm, Go or npm back at this machine's setup removed (they are set again explicitly).
func cleanEnv(home string) []string {
	drop := map[string]bool{"HOME": true, "XDG_CACHE_HOME": true, "XDG_CONFIG_HOME": true, "DWM_CACHE_DIR": true,
		"DWM_LIBCHDB": true, "GOPATH": true, "GOBIN": true, "GOPROXY": true, "GONOSUMDB": true, "GOPRIVATE": true,
		"GONOPROXY": true, "GOFLAGS": true, "GOWORK": true, "GOMODCACHE": true, "GOCACHE": true, "GOENV": true}
	env := []string{"HOME=" + home}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] && !strings.HasPrefix(strings.ToLower(k), "npm_config_") {
			env = append(env, kv)
		}
	}
	return env
}

func goEnv(t *testing.T, goBin, key string) string {
	t.Helper()
	out, err := exec.Command(goBin, "env", key).Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("go env %s: %q, %v", key, out, err)
	}
	return strings.TrimSpace(string(out))
}

func npmConfig(t *testing.T, npmBin, key string) string {
	t.Helper()
	out, err := exec.Command(npmBin, "config", "get", key).Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("npm config get %s: %q, %v", key, out, err)
	}
	return strings.TrimSpace(string(out))
}
