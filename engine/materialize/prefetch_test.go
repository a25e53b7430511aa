package materialize

import (
	"errors"
	"testing"
)

// TestFlightsShareOneComputation: a caller asking for a key being computed gets that result
// without computing it; once it is done the next caller computes again (the result lives in the
// caller's cache, not here); a waiter whose computation failed computes it itself.
func TestFlightsShareOneComputation(t *testing.T) {
	var f Flights
	waiting := make(chan struct{})
	f.waiting = func() { close(waiting) }
	running, release := make(chan struct{}), make(chan struct{})
	first := make(chan string)
	go func() {
		v, _ := f.Do("k", func() (string, error) { close(running); <-release; return "one", nil })
		first <- v
	}()
	<-running // the first computation is registered until release
	second := make(chan string)
	go func() {
		v, err := f.Do("k", func() (string, error) { return "", errors.New("computed again") })
		if err != nil {
			v = err.Error()
		}
		second <- v
	}()
	<-waiting
	close(release)
	if a, b := <-first, <-second; a != "one" || b != "one" {
		t.Fatalf("results %q, %q; want both from the one computation", a, b)
	}
	if v, _ := f.Do("k", func() (string, error) { return "two", nil }); v != "two" {
		t.Fatalf("after it finished, Do computed %q, want a new computation", v)
	}

	waiting = make(chan struct{})
	running, release = make(chan struct{}), make(chan struct{})
	failed := make(chan error)
	go func() {
		_, err := f.Do("e", func() (string, error) { close(running); <-release; return "", errors.New("cancelled") })
		failed <- err
	}()
	<-running
	got := make(chan string)
	go func() {
		v, _ := f.Do("e", func() (string, error) { return "mine", nil })
		got <- v
	}()
	<-waiting
	close(release)
	if err := <-failed; err == nil {
		t.Fatal("the failing computation reported no error")
	}
	if v := <-got; v != "mine" {
		t.Fatalf("a waiter on a failed computation got %q, want its own", v)
	}
}
