package chdb

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// envChild switches the test binary into a child-process role for the tests that need a second
// process (lock contention, crash safety, panics); see runChild.
const envChild = "DWM_CHDB_TEST_CHILD"

func TestMain(m *testing.M) {
	if role := os.Getenv(envChild); role != "" {
		os.Exit(runChild(role, os.Getenv("DWM_CHDB_TEST_DIR")))
	}
	os.Exit(m.Run())
}

// requireLib fails the test when libchdb is missing: tests on the real engine must never skip
// silently in CI. DWM_SKIP_CHDB=1 is the explicit opt-out.
func requireLib(t testing.TB) {
	t.Helper()
	if os.Getenv("DWM_SKIP_CHDB") == "1" {
		t.Skip("DWM_SKIP_CHDB=1: skipping tests on the real embedded ClickHouse")
	}
	if _, err := FindLibrary("", os.Getenv); err != nil {
		t.Fatalf("%v\n(run `make setup` once; set DWM_SKIP_CHDB=1 to skip these tests deliberately)", err)
	}
}

// openTest opens a fresh warehouse in a temporary directory and closes it when the test ends.
func openTest(t testing.TB, opts Options) *Warehouse {
	t.Helper()
	requireLib(t)
	if opts.Path == "" {
		opts.Path = t.TempDir()
	}
	w, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return w
}

func mustExec(t testing.TB, w *Warehouse, sql string) {
	t.Helper()
	if _, err := w.Exec(context.Background(), sql); err != nil {
		t.Fatalf("Exec %q: %v", sql, err)
	}
}

func mustQuery1(t testing.TB, w *Warehouse, sql string) string {
	t.Helper()
	r, err := w.Query(context.Background(), sql)
	if err != nil {
		t.Fatalf("Query %q: %v", sql, err)
	}
	if len(r.Rows) != 1 || len(r.Rows[0]) != 1 {
		t.Fatalf("Query %q: want one value, got %v", sql, r.Rows)
	}
	return r.String(0, 0)
}

// runChild is the body of a child process. It prints "ready" once its warehouse is open so the
// parent waits on an event, never a sleep.
func runChild(role, dir string) int {
	ctx := context.Background()
	w, err := Open(ctx, Options{Path: dir, Conns: 1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		return 3
	}
	switch role {
	case "panic":
		if _, err := w.Query(ctx, "SELECT 1"); err != nil {
			fmt.Fprintln(os.Stderr, "child query:", err)
			return 3
		}
		var p *int
		fmt.Println(*p) // a real SIGSEGV, the case libchdb's own handlers used to swallow
	case "hold", "write":
		if role == "write" {
			for _, s := range []string{
				"CREATE TABLE t (n UInt64) ENGINE = MergeTree ORDER BY n",
				"INSERT INTO t SELECT number FROM numbers(1000)",
			} {
				if _, err := w.Exec(ctx, s); err != nil {
					fmt.Fprintln(os.Stderr, "child exec:", err)
					return 3
				}
			}
		}
		fmt.Println("ready")
		// Hold the warehouse until the parent closes stdin or kills us.
		_, _ = os.Stdin.Read(make([]byte, 1))
	default:
		fmt.Fprintln(os.Stderr, "unknown child role", role)
		return 2
	}
	return 0
}
