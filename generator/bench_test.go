package generator

import (
	"context"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// Run with: go test ./generator -run '^$' -bench Generate -benchtime 1x
// Each benchmark reports clickstream events per second end to end (simulation, formatting, hashing and
// writing every file), the peak memory the Go runtime held, and two baselines measured in the same run:
// writing the same number of bytes to the same disk from one prepared buffer, and the same simulation
// without writing (dry run).

func BenchmarkGenerate100kUsers4Weeks(b *testing.B) { benchGenerate(b, 100_000, 3_000, 4) }

func BenchmarkGenerate1MUsers1Week(b *testing.B) { benchGenerate(b, 1_000_000, 30_000, 1) }

func benchGenerate(b *testing.B, users, signups, weeks int) {
	o := DefaultOptions()
	o.InitialUsers, o.WeeklySignups, o.Weeks = users, signups, weeks
	var events, bytes int64
	var elapsed time.Duration
	peak := newPeakMemory()
	for b.Loop() {
		o.Out = filepath.Join(b.TempDir(), "out")
		start := time.Now()
		sum, err := Generate(context.Background(), o, nil)
		if err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		events += sum.Events()
		bytes += treeBytes(b, o.Out)
		os.RemoveAll(o.Out) // keep the disk from filling across iterations
	}
	peakBytes := peak.stop()
	raw := rawWriteRate(b, bytes/int64(b.N))
	dry := dryRunRate(b, o, events/int64(b.N))
	genRate := float64(bytes) / elapsed.Seconds()
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(genRate/1e6, "MB/s")
	b.ReportMetric(raw/1e6, "raw-write-MB/s")
	b.ReportMetric(genRate/raw, "vs-raw-write")
	b.ReportMetric(dry, "dry-run-events/s")
	b.ReportMetric(float64(peakBytes)/(1<<20), "peak-MiB")
}

// dryRunRate simulates the same weeks without writing (formatting still happens) and returns events per
// second: the generation cost alone, without hashing and the write system calls.
func dryRunRate(b *testing.B, o Options, events int64) float64 {
	sim, err := NewSimulator(o)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for range o.Weeks {
		if err := sim.Skip(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	return float64(events) / time.Since(start).Seconds()
}

func treeBytes(b *testing.B, root string) int64 {
	var n int64
	err := filepath.WalkDir(root, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		n += fi.Size()
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// rawWriteRate writes n bytes from one buffer to a file and returns bytes per second: the ceiling a
// generator that only copied its output to disk could reach.
func rawWriteRate(b *testing.B, n int64) float64 {
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte('a' + i%26)
	}
	path := filepath.Join(b.TempDir(), "raw")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(path)
	start := time.Now()
	for left := n; left > 0; left -= int64(len(buf)) {
		if _, err := f.Write(buf[:min(int64(len(buf)), left)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return float64(n) / time.Since(start).Seconds()
}

// peakMemory samples the runtime's total mapped memory every few milliseconds.
type peakMemory struct {
	done chan struct{}
	wg   sync.WaitGroup
	max  uint64
}

func newPeakMemory() *peakMemory {
	p := &peakMemory{done: make(chan struct{})}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	p.wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			p.max = max(p.max, s[0].Value.Uint64())
			select {
			case <-p.done:
				return
			case <-t.C:
			}
		}
	})
	return p
}

func (p *peakMemory) stop() uint64 {
	close(p.done)
	p.wg.Wait()
	return p.max
}
