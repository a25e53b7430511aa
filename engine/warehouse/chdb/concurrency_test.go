package chdb

import (
	"context"
	"errors"
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

func TestCloseWaitsForRunningQuery(t *testing.T) {
	requireLib(t)
	w, err := Open(context.Background(), Options{Path: t.TempDir(), Conns: 1})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		close(started)
		_, err := w.Exec(context.Background(), "SELECT sleep(0.5)")
		done <- err
	}()
	<-started
	time.Sleep(100 * time.Millisecond) // let the statement reach libchdb; Close must not cut it off
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, errClosed) {
			t.Fatalf("statement during Close: %v", err)
		}
	default:
		t.Fatal("Close returned while a statement was still running")
	}
}
