package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// gcHeadroom is how far the heap may grow past the live heap before the next collection, at
// least. Go's default (GOGC=100) lets a heap of live bytes grow by live bytes: loading a
// 10,000-model project, whose live heap ends near 150 MB, then collected ~10 times while the
// heap ramped up and each cycle marked the same parse trees again, a quarter of the CPU of
// `dwm compile`. With this floor a command collects two or three times, peak memory stays
// under ~400 MB for that project, and big heaps still grow by their own size as with GOGC=100.
const gcHeadroom = 192 << 20

// tuneGC sets GOGC after every collection so the next one comes after max(live, gcHeadroom)
// bytes of new heap. It does nothing when the user set GOGC.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	adjust := func(bytes uint64) {
		percent := 100
		if bytes > 0 && gcHeadroom*100/bytes > 100 {
			percent = int(gcHeadroom * 100 / bytes)
		}
		debug.SetGCPercent(percent)
	}
	adjust(4 << 20) // before the first collection the runtime's goal is 4 MB x GOGC/100
	var arm func()
	arm = func() {
		// A cleanup on an object nothing references runs after the next collection.
		runtime.AddCleanup(new(*int), func(struct{}) {
			metrics.Read(live)
			if live[0].Value.Kind() == metrics.KindUint64 {
				adjust(live[0].Value.Uint64())
			}
			arm()
		}, struct{}{})
	}
	arm()
}
