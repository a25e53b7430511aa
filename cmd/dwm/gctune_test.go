package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// gcPercent reads the current GOGC value (SetGCPercent only reads by writing).
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestTuneGCKeepsHeadroomAfterEveryCollection(t *testing.T) {
	if _, set := os.LookupEnv("GOGC"); set {
		t.Skip("GOGC is set by the environment, which tuneGC leaves alone")
	}
	defer debug.SetGCPercent(gcPercent())
	tuneGC()
	if got, want := gcPercent(), gcHeadroom*100/(4<<20); got != want {
		t.Fatalf("before the first collection GOGC = %d, want %d", got, want)
	}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	for _, ballast := range []int{8 << 20, 256 << 20} { // a small live heap, then one past the headroom
		keep := make([]byte, ballast)
		for i := range keep {
			keep[i] = 1
		}
		runtime.GC()
		metrics.Read(live)
		want := max(100, int(gcHeadroom*100/live[0].Value.Uint64()))
		deadline := time.Now().Add(10 * time.Second)
		for gcPercent() != want && time.Now().Before(deadline) {
			runtime.Gosched() // the cleanup that adjusts GOGC runs on its own goroutine
		}
		if got := gcPercent(); got != want {
			t.Errorf("live heap %d MB: GOGC = %d, want %d", live[0].Value.Uint64()>>20, got, want)
		}
		runtime.KeepAlive(keep)
	}
}
