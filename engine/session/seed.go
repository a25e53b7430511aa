package session

import (
	"context"
	"fmt"

	"github.com/dwmhq/dwm/engine/runner"
)

// loadSeed loads one seed CSV atomically.
func (s *Session) loadSeed(ctx context.Context, id string) runner.Result {
	return runner.Result{Status: runner.Error, Err: fmt.Errorf("seed %s: seeds are not wired yet", id)}
}
