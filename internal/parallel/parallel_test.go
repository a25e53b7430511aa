package parallel

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

func TestForEachRunsEveryIndexOnce(t *testing.T) {
	const n = 10_000
	var seen [n]atomic.Int32
	if err := ForEach(n, func(i int) error { seen[i].Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	for i := range seen {
		if c := seen[i].Load(); c != 1 {
			t.Fatalf("index %d ran %d times", i, c)
		}
	}
	if err := ForEach(0, func(int) error { return errors.New("called") }); err != nil {
		t.Fatal(err)
	}
}

func TestForEachReportsTheSmallestFailure(t *testing.T) {
	for range 50 {
		err := ForEach(1000, func(i int) error {
			if i%97 == 13 { // fails at 13, 110, 207, ...
				return fmt.Errorf("item %d", i)
			}
			return nil
		})
		if err == nil || err.Error() != "item 13" {
			t.Fatalf("got %v, want item 13", err)
		}
	}
}
