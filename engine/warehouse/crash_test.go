package warehouse

import (
	"context"
	"strings"
	"testing"
)

// recorder is the wrapped warehouse: it records what reached it.
type recorder struct {
	Warehouse
	ran []string
}

func (r *recorder) Exec(_ context.Context, sql string) (Stats, error) {
	r.ran = append(r.ran, sql)
	return Stats{}, nil
}

func (r *recorder) Query(_ context.Context, sql string) (*Result, error) {
	r.ran = append(r.ran, sql)
	return &Result{}, nil
}

type nodeKey struct{}

// TestCrashAfterKillsBeforeTheStatementAndLogsWhatRan: with Limit N, N statements reach the
// warehouse and are logged (numbered, with their node, on one line each); the kill comes before
// statement N+1 reaches it.
func TestCrashAfterKillsBeforeTheStatementAndLogsWhatRan(t *testing.T) {
	rec := &recorder{}
	var log strings.Builder
	killed := 0
	c := &CrashAfter{Warehouse: rec, Limit: 2, Log: &log,
		Kill: func() { killed++; panic("killed") },
		Node: func(ctx context.Context) string { s, _ := ctx.Value(nodeKey{}).(string); return s }}
	ctx := context.WithValue(context.Background(), nodeKey{}, "model.p.a")
	if _, err := c.Exec(ctx, "CREATE TABLE t\n(x UInt8)\tENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Query(context.Background(), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() { _ = recover() }()
		_, _ = c.Exec(ctx, "DROP TABLE t")
	}()
	if killed != 1 {
		t.Fatalf("killed %d times before statement 3, want 1", killed)
	}
	if got := strings.Join(rec.ran, ";"); got != "CREATE TABLE t\n(x UInt8)\tENGINE = Memory;SELECT 1" {
		t.Errorf("reached the warehouse: %q", got)
	}
	want := "1\tmodel.p.a\tCREATE TABLE t (x UInt8) ENGINE = Memory\n2\t\tSELECT 1\n"
	if log.String() != want {
		t.Errorf("log:\n%q\nwant\n%q", log.String(), want)
	}
}

// TestCrashAfterNegativeLimitOnlyLogs: a log without a kill point lets everything through.
func TestCrashAfterNegativeLimitOnlyLogs(t *testing.T) {
	rec := &recorder{}
	var log strings.Builder
	c := &CrashAfter{Warehouse: rec, Limit: -1, Log: &log, Kill: func() { t.Fatal("killed") }}
	for i := 0; i < 5; i++ {
		if _, err := c.Exec(context.Background(), "SELECT 1"); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(log.String(), "\n"); n != 5 || len(rec.ran) != 5 {
		t.Errorf("logged %d, ran %d; want 5 and 5", n, len(rec.ran))
	}
}
