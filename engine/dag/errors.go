package dag

import (
	"fmt"
	"strings"
)

// MissingDependencyError reports a dependency on an ID the manifest does not hold, usually a
// ref or source that the loader resolved to a node which was then disabled or never parsed.
type MissingDependencyError struct {
	Node    string // the dependent
	Missing string // the ID it depends on
}

func (e *MissingDependencyError) Error() string {
	return fmt.Sprintf("%s depends on %s, which is not in the manifest", e.Node, e.Missing)
}

// CycleError reports a dependency cycle.
type CycleError struct {
	// Path walks the cycle along the edges (each ID is a dependency of the next), starting
	// and ending at the same, smallest, ID so the message is stable from run to run.
	Path []string
}

func (e *CycleError) Error() string {
	return "cycle: " + strings.Join(e.Path, " -> ")
}
