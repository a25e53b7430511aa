package tcp_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/serve/auth"
	"github.com/dwmhq/dwm/engine/serve/core"
	"github.com/dwmhq/dwm/engine/serve/tcp"
	"github.com/dwmhq/dwm/engine/serve/tcp/coreengine"
)

// TestShutdown: when Serve's context ends, idle connections close at once, a running statement
// gets ShutdownGrace to finish and is then cancelled in the engine, and Serve returns.
func TestShutdown(t *testing.T) {
	wh, db := shared.Database(t, "tcp_")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := core.New(wh, core.Options{Users: auth.Single("default", password)})
	defer c.Close()
	srv := tcp.New(coreengine.New(c, wh, coreengine.Options{}), tcp.Options{ShutdownGrace: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	open(t, ln.Addr().String(), db, nil) // stays idle
	busy := open(t, ln.Addr().String(), db, nil)
	queryErr := make(chan error, 1)
	go func() {
		queryErr <- busy.QueryRow(context.Background(), "SELECT count() FROM numbers(100000000000) -- shutdown_grace").Scan(new(uint64))
	}()
	for deadline := time.Now().Add(15 * time.Second); running(t, "shutdown_grace") == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the long statement did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	begin := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return")
	}
	if d := time.Since(begin); d > 12*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	if err := <-queryErr; err == nil {
		t.Error("the long statement succeeded")
	}
	waitStopped(t, "shutdown_grace")
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("the listener still accepts")
	}
}
