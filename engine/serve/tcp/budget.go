package tcp

import (
	"fmt"
	"sync"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// codeMemoryLimitExceeded is ClickHouse's MEMORY_LIMIT_EXCEEDED.
const codeMemoryLimitExceeded = 241

// budget bounds the bytes all connections together hold in buffers of client data (blocks
// being read, compressed frames), so no number of clients can make the server buffer more.
type budget struct {
	mu   sync.Mutex
	used int64
	max  int64
}

// account is one connection's share of the budget.
type account struct {
	b    *budget
	held int64
}

// take charges n bytes, or fails with MEMORY_LIMIT_EXCEEDED when the server would go over its
// limit.
func (a *account) take(n int) error {
	if n <= 0 {
		return nil
	}
	a.b.mu.Lock()
	defer a.b.mu.Unlock()
	if a.b.used+int64(n) > a.b.max {
		return &warehouse.QueryError{Code: codeMemoryLimitExceeded, Name: "MEMORY_LIMIT_EXCEEDED", Message: fmt.Sprintf(
			"dwm serve: connections together may buffer at most %d bytes of client data; try again later", a.b.max)}
	}
	a.b.used += int64(n)
	a.held += int64(n)
	return nil
}

// give returns n bytes.
func (a *account) give(n int) {
	if n <= 0 {
		return
	}
	a.b.mu.Lock()
	a.b.used -= int64(n)
	a.b.mu.Unlock()
	a.held -= int64(n)
}

// inUse reports the server's buffered bytes, for tests.
func (b *budget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// release returns everything the connection still holds.
func (a *account) release() { a.give(int(a.held)) }
