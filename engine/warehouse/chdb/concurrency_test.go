package chdb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse"
)

func TestParallelQueries(t *testing.T) {
	w := openTest(t, Options{Conns: 4})
	ctx := context.Background()

	// Four one-second sleeps on four connections overlap; on one connection they would take 4 s.
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.Exec(ctx, "SELECT sleep(1)")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Fatalf("4 parallel sleep(1) took %v; connections are not running in parallel", d)
	}

	// Many goroutines, more than connections, each get their own answers.
	var wg2 sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			for i := 0; i < 20; i++ {
				n := g*100 + i
				r, err := w.Query(ctx, "SELECT "+strconv.Itoa(n)+" * 2")
				if err != nil {
					t.Error(err)
					return
				}
				if got := r.String(0, 0); got != strconv.Itoa(n*2) {
					t.Errorf("goroutine %d: got %s, want %d", g, got, n*2)
				}
			}
		}()
	}
	wg2.Wait()
}

func TestCancelLongQuery(t *testing.T) {
	w := openTest(t, Options{Conns: 2})
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(300*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 300*time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			_, err := w.Query(ctx, "SELECT count() FROM numbers(1e12)")
			d := time.Since(start)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if d > 5*time.Second {
				t.Fatalf("cancelled query returned after %v", d)
			}
			t.Logf("returned %v after start (cancel at 300ms)", d)
		})
	}
	// Cancelled statements gave their connections back.
	for i := 0; i < 3; i++ {
		mustQuery1(t, w, "SELECT 1")
	}
}

func TestQueryTimeout(t *testing.T) {
	w := openTest(t, Options{Conns: 1, QueryTimeout: time.Second})
	start := time.Now()
	_, err := w.Exec(context.Background(), "SELECT count() FROM numbers(1e12)")
	var qe *warehouse.QueryError
	if !errors.As(err, &qe) || qe.Name != "TIMEOUT_EXCEEDED" {
		t.Fatalf("err = %v, want TIMEOUT_EXCEEDED", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timed-out statement returned after %v", d)
	}
}

// TestCloseWaitsForRunningQuery: Close lets a statement that libchdb is running finish, with its
// result, and only then returns.
func TestCloseWaitsForRunningQuery(t *testing.T) {
	requireLib(t)
	w, err := Open(context.Background(), Options{Path: t.TempDir(), Conns: 2})
	if err != nil {
		t.Fatal(err)
	}
	const marker = "close-waits-marker"
	done := make(chan error, 1)
	go func() {
		r, err := w.Query(context.Background(), "SELECT sleep(0.5), '"+marker+"' AS m")
		if err == nil && r.String(0, 1) != marker {
			err = fmt.Errorf("result %v", r.Rows)
		}
		done <- err
	}()
	// Wait until the engine itself runs the statement (the other connection sees it in
	// system.processes), so Close starts while it is inside libchdb, not before it took a connection.
	deadline := time.Now().Add(30 * time.Second)
	for mustQuery1(t, w, "SELECT count() FROM system.processes WHERE query LIKE '%"+marker+"%' AND query NOT LIKE '%system.processes%'") != "1" {
		if time.Now().After(deadline) {
			t.Fatal("the statement never showed up in system.processes")
		}
		select {
		case err := <-done:
			t.Fatalf("the statement ended before it was seen running: %v", err)
		default:
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("a statement running during Close failed: %v", err)
		}
	default:
		t.Fatal("Close returned while a statement was still running")
	}
}
