package e2e

import (
	"os"
	"strings"
	"testing"
)

// TestScanProjectForDeletedUsers scans a warehouse built elsewhere (DWM_SCAN_PROJECT: a project
// directory after `dwm simulate`, e.g. `make demo` at default scale) for personal values of users
// deleted upstream, as TestSimulateIdempotentAndFullRefresh does at small scale in make test. It
// runs only when asked, because it needs that warehouse:
//
//	make demo && DWM_SCAN_PROJECT=$PWD go test ./e2e -run TestScanProjectForDeletedUsers -count=1 -v
func TestScanProjectForDeletedUsers(t *testing.T) {
	dir := os.Getenv("DWM_SCAN_PROJECT")
	if dir == "" {
		t.Skip("runs only when asked: DWM_SCAN_PROJECT=<project dir after dwm simulate>")
	}
	deleted, values := subjectValues(t, dir, deletedUpstream)
	if len(deleted) == 0 || len(values) < 2*len(deleted) {
		t.Fatalf("%d users deleted upstream with %d personal values: nothing to check", len(deleted), len(values))
	}
	if l := leaks(t, dir, values); len(l) > 0 {
		t.Fatalf("personal data of %d users deleted upstream is still in the warehouse:\n%s", len(deleted), strings.Join(l, "\n"))
	}
	t.Logf("%d users deleted upstream, %d personal values: none in any String column of any relation", len(deleted), len(values))
}
