package core

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse"
)

func TestSlotsPerUserLimitRefusesAtOnce(t *testing.T) {
	s := newSlots(10, 2)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := s.acquire(ctx, "a", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	_, err := s.acquire(ctx, "a", time.Hour)
	var qe *warehouse.QueryError
	if !errors.As(err, &qe) || qe.Code != CodeTooManySimultaneous || time.Since(start) > time.Second {
		t.Fatalf("third for a: %v after %v", err, time.Since(start))
	}
	if _, err := s.acquire(ctx, "b", time.Hour); err != nil {
		t.Fatalf("b: %v", err)
	}
}

// TestSlotsGoToTheLeastBusyUser: when the total is reached, a freed slot goes to the waiting
// user with the fewest statements running, not to the first in line.
func TestSlotsGoToTheLeastBusyUser(t *testing.T) {
	s := newSlots(3, 4)
	ctx := context.Background()
	var heavy []func()
	for i := 0; i < 3; i++ {
		rel, err := s.acquire(ctx, "heavy", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		heavy = append(heavy, rel)
	}
	got := make(chan string, 2)
	wait := func(user string) {
		rel, err := s.acquire(ctx, user, time.Hour)
		if err != nil {
			got <- "error " + err.Error()
			return
		}
		got <- user
		_ = rel
	}
	waiting := func(n int) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, w := s.counts(); w == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("never %d waiting", n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	go wait("heavy") // first in line, but already running three
	waiting(1)
	go wait("light")
	waiting(2)
	heavy[0]()
	if first := <-got; first != "light" {
		t.Fatalf("freed slot went to %s, want light", first)
	}
	heavy[1]()
	if second := <-got; second != "heavy" {
		t.Fatalf("next slot went to %s", second)
	}
}

func TestSlotsQueueWaitRunsOut(t *testing.T) {
	s := newSlots(1, 1)
	ctx := context.Background()
	if _, err := s.acquire(ctx, "a", time.Hour); err != nil {
		t.Fatal(err)
	}
	_, err := s.acquire(ctx, "b", 50*time.Millisecond)
	var qe *warehouse.QueryError
	if !errors.As(err, &qe) || qe.Code != CodeTooManySimultaneous {
		t.Fatalf("b: %v", err)
	}
	if r, w := s.counts(); r != 1 || w != 0 {
		t.Errorf("running %d waiting %d after the timeout", r, w)
	}
}
