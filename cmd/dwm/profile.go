package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles writes CPU and heap profiles of the whole process when DWM_CPUPROFILE or
// DWM_MEMPROFILE name a file, so performance work measures what a user waits for (the
// benchmarks in docs/benchmarks.md were profiled this way). The returned function stops them.
func startProfiles() func() {
	stop := func() {}
	if path := os.Getenv("DWM_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			stop = func() { pprof.StopCPUProfile(); f.Close() }
		} else {
			fmt.Fprintln(os.Stderr, "warning: DWM_CPUPROFILE:", err)
		}
	}
	if path := os.Getenv("DWM_MEMPROFILE"); path != "" {
		runtime.MemProfileRate = 64 << 10
		cpu := stop
		stop = func() {
			cpu()
			f, err := os.Create(path)
			if err != nil {
				fmt.Fprintln(os.Stderr, "warning: DWM_MEMPROFILE:", err)
				return
			}
			defer f.Close()
			runtime.GC() // the profile holds what the last completed collection saw
			_ = pprof.Lookup("allocs").WriteTo(f, 0)
		}
	}
	return stop
}
