package cdc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/objstore"
	"github.com/dwmhq/dwm/internal/osfs"
)

// cachedHash is the hash cache's entry for a project file: its stamp and hash ("" when none).
func cachedHash(t *testing.T, p *project, rel string) (stamp, sum string) {
	t.Helper()
	b, err := os.ReadFile(hashCache{dir: p.cache}.entry(filepath.Join(p.dir, rel)))
	if os.IsNotExist(err) {
		return "", ""
	}
	if err != nil {
		t.Fatal(err)
	}
	stamp, sum, _ = strings.Cut(strings.TrimSpace(string(b)), " ")
	return stamp, sum
}

func sumOf(content string) string {
	s := sha256.Sum256([]byte(content))
	return hex.EncodeToString(s[:])
}

// TestPrefetchHashesNewFiles: Prefetch leaves in the hash cache, under the stamp the load's own
// listing takes, the hash of every file of the pattern, so the load reads the hash instead of the
// file; a file written less than the racy window ago is hashed once the window has passed; a
// cancelled prefetch stops; objects and facts reading a relation have nothing to prefetch.
func TestPrefetchHashesNewFiles(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, "unused")
	p.cache = t.TempDir()
	later := time.Now().Add(time.Hour)
	p.now = func() time.Time { return later }
	n := usersStaging(p)
	files := map[string]string{
		"cdc/w001/users.csv": usersHeader + "INSERT,1,ann,1,false,2026-01-05 00:00:00\n",
		"cdc/w002/users.csv": usersHeader + "UPDATE,1,ann,2,false,2026-01-12 00:00:00\n",
	}
	for rel, c := range files {
		p.write(t, rel, c)
	}
	env := p.env()

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	Staging{}.Prefetch(cancelled, n, env)
	if _, sum := cachedHash(t, p, "cdc/w001/users.csv"); sum != "" {
		t.Fatalf("a cancelled prefetch hashed a file: %s", sum)
	}

	Staging{}.Prefetch(ctx, n, env)
	for rel, c := range files {
		stamp, sum := cachedHash(t, p, rel)
		if want := stampOf(t, filepath.Join(p.dir, rel), later); stamp != want || sum != sumOf(c) {
			t.Errorf("%s: cached %q %q, want %q %q", rel, stamp, sum, want, sumOf(c))
		}
	}

	// With the real clock, a file just written has no stamp yet: it is hashed after the window.
	env.Now = nil
	p.write(t, "cdc/w003/users.csv", usersHeader)
	start := time.Now()
	Staging{}.Prefetch(ctx, n, env)
	if _, sum := cachedHash(t, p, "cdc/w003/users.csv"); sum != sumOf(usersHeader) {
		t.Errorf("a racy file: cached hash %q after %v, want it hashed once its stamp holds", sum, time.Since(start))
	}
	if d := time.Since(start); d < osfs.RacyWindow {
		t.Errorf("a racy file was hashed after %v, before its window (%v) had passed", d, osfs.RacyWindow)
	}

	// Objects are fingerprinted by the ETags their listing gives, and a fact reading a relation
	// has no files: neither reaches the object store nor adds a cache entry.
	entries := func() int {
		es, err := os.ReadDir(p.cache)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	before := entries()
	env.ObjectStore = func() (*objstore.Store, error) {
		t.Error("prefetch asked for the object store")
		return nil, objstore.ErrNotConfigured
	}
	obj := p.model("objects", "staging", map[string]any{"files": "s3://lake/cdc/*/users.csv"})
	Staging{}.Prefetch(ctx, obj, env)
	rel := p.model("from_relation", "fact", map[string]any{"cursor": "user_id"})
	Fact{}.Prefetch(ctx, rel, env)
	if after := entries(); after != before {
		t.Errorf("objects and a relation fact added %d cache entries", after-before)
	}
}
