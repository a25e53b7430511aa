package generator

import (
	"context"
	"fmt"
	"sync"
)

// chunkUsers is how many participants one worker job covers: big enough to amortise channel traffic,
// small enough that a few chunks in flight stay a few tens of megabytes.
const chunkUsers = 1024

// streamEvents generates the clickstream of every participant in parallel and writes it to w in
// participant order, so the bytes never depend on the number of workers. Chunks are generated into
// pooled buffers and written as soon as their turn comes: memory holds a few chunks, never the week.
// It returns the counts and the rows held back for next week's file (late events and next-file
// duplicates), in the same deterministic order. A nil w (dry run) simulates without writing.
func streamEvents(ctx context.Context, env *weekEnv, participants []int32, workers int, w *csvFile) (eventCounts, []byte, error) {
	var total eventCounts
	var carry []byte
	nChunks := (len(participants) + chunkUsers - 1) / chunkUsers
	if nChunks == 0 {
		return total, nil, nil
	}
	workers = max(1, min(workers, nChunks))
	inflight := min(nChunks, 2*workers+1)

	type job struct {
		idx int
		out *chunkOut
	}
	free := make(chan *chunkOut, inflight)
	for range inflight {
		free <- &chunkOut{}
	}
	slots := make([]chan *chunkOut, nChunks)
	for i := range slots {
		slots[i] = make(chan *chunkOut, 1) // a worker never blocks handing a chunk over
	}
	stop := make(chan struct{})
	jobs := make(chan job)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop) // runs before wg.Wait: unblocks the dispatcher on early return

	wg.Go(func() {
		defer close(jobs)
		for i := range nChunks {
			var o *chunkOut
			select {
			case o = <-free:
			case <-stop:
				return
			}
			select {
			case jobs <- job{i, o}:
			case <-stop:
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			g := newEventGen(env)
			for j := range jobs {
				g.out = j.out
				lo := j.idx * chunkUsers
				for pos := lo; pos < min(lo+chunkUsers, len(participants)); pos++ {
					g.user(pos, participants[pos])
				}
				slots[j.idx] <- j.out
			}
		})
	}

	for i := range nChunks {
		var o *chunkOut
		select {
		case o = <-slots[i]:
		case <-ctx.Done():
			return total, nil, fmt.Errorf("clickstream week %d: %w", env.week, ctx.Err())
		}
		if err := w.writeChunk(o.buf); err != nil {
			return total, nil, fmt.Errorf("clickstream week %d: %w", env.week, err)
		}
		carry = append(carry, o.carry...)
		total.add(o.counts)
		o.reset()
		free <- o
	}
	return total, carry, nil
}
