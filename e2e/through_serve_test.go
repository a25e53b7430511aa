package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestWarehouseThroughRunningServe: while `dwm serve` (its own process) holds the project's
// warehouse, `dwm build` and `dwm checksum` go through it instead of failing with "in use", the
// CDC files included (dwm sends them; the served engine's sandbox refuses file()), and two weeks
// built that way equal the same weeks built on the embedded engine.
func TestWarehouseThroughRunningServe(t *testing.T) {
	t.Parallel()
	embedded, served := copyProject(t), copyProject(t)
	for w := 1; w <= 2; w++ {
		generateWeek(t, embedded, w)
		generateWeek(t, served, w)
	}
	mustDwm(t, embedded, "build")
	want := checksums(t, embedded)

	srv := startServe(t, filepath.Join(served, ".dwm", "dev"), "0", nil)
	const note = "note: the warehouse is held by dwm serve"
	r := mustDwm(t, served, "build")
	if !strings.Contains(r.stderr, note) {
		t.Fatalf("dwm build did not go through the running server:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "ERROR=0") {
		t.Fatalf("dwm build through the server:\n%s", tail(r.stdout, 30))
	}
	got := checksums(t, served)
	srv.stop()
	if d := diffSums(want, got); len(d) > 0 {
		t.Fatalf("built through dwm serve differs from the embedded build:\n%s", strings.Join(d, "\n"))
	}
}
