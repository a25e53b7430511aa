package core

import (
	"context"
	"sync"
	"time"
)

// slots bounds the statements running at once, in total and per user. A user over its own
// limit is refused at once (as ClickHouse does with max_concurrent_queries_for_user); when the
// total is reached, statements wait up to a timeout, and a freed slot goes to the waiting user
// with the fewest statements running, first come first served among equals. So one client's
// long statements can hold at most its per-user share, and other users' short statements are
// served next rather than behind a queue of the busy user's.
type slots struct {
	mu      sync.Mutex
	max     int
	perUser int
	running int
	byUser  map[string]int
	waiting []*waiter
}

type waiter struct {
	user  string
	ready chan struct{} // closed when the slot is granted
}

func newSlots(max, perUser int) *slots {
	return &slots{max: max, perUser: perUser, byUser: map[string]int{}}
}

// acquire takes a slot for user, waiting at most wait; the returned func frees it.
func (s *slots) acquire(ctx context.Context, user string, wait time.Duration) (func(), error) {
	s.mu.Lock()
	if s.byUser[user] >= s.perUser {
		n := s.byUser[user]
		s.mu.Unlock()
		return nil, Errorf(CodeTooManySimultaneous, "Too many simultaneous queries for user %s. Current: %d, maximum: %d", user, n, s.perUser)
	}
	if s.running < s.max {
		s.grant(user)
		s.mu.Unlock()
		return s.releaser(user), nil
	}
	w := &waiter{user: user, ready: make(chan struct{})}
	s.waiting = append(s.waiting, w)
	s.mu.Unlock()

	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-w.ready:
		return s.releaser(user), nil
	case <-timer.C:
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-w.ready: // granted while we gave up: hand it on
		s.release(user)
	default:
		s.remove(w)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, Errorf(CodeTooManySimultaneous, "Too many simultaneous queries. Maximum: %d", s.max)
}

func (s *slots) grant(user string) {
	s.running++
	s.byUser[user]++
}

func (s *slots) releaser(user string) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.release(user)
			s.mu.Unlock()
		})
	}
}

// release frees user's slot and grants it to the fairest waiter. s.mu is held.
func (s *slots) release(user string) {
	s.running--
	if s.byUser[user]--; s.byUser[user] <= 0 {
		delete(s.byUser, user)
	}
	best := -1
	for i, w := range s.waiting {
		if s.byUser[w.user] >= s.perUser {
			continue
		}
		if best < 0 || s.byUser[w.user] < s.byUser[s.waiting[best].user] {
			best = i
		}
	}
	if best < 0 {
		return
	}
	w := s.waiting[best]
	s.waiting = append(s.waiting[:best], s.waiting[best+1:]...)
	s.grant(w.user)
	close(w.ready)
}

func (s *slots) remove(w *waiter) {
	for i, x := range s.waiting {
		if x == w {
			s.waiting = append(s.waiting[:i], s.waiting[i+1:]...)
			return
		}
	}
}

// counts reports the statements running and waiting.
func (s *slots) counts() (running, waiting int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running, len(s.waiting)
}
