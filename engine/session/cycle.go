package session

import (
	"fmt"
	"strings"

	"github.com/dwmhq/dwm/engine/dag"
	"github.com/dwmhq/dwm/engine/project"
)

// CycleError is a dependency cycle with the place each of its edges is written, so the user
// sees which ref to remove, as file:line:col.
type CycleError struct {
	*dag.CycleError
	Edges []string // "models/b.sql:1:15: b refs c", in cycle order
}

func (e *CycleError) Error() string {
	if len(e.Edges) == 0 {
		return e.CycleError.Error()
	}
	return e.CycleError.Error() + "\n  " + strings.Join(e.Edges, "\n  ")
}

func (e *CycleError) Unwrap() error { return e.CycleError }

// locateCycle finds, for each edge of the cycle (each ID is a dependency of the next), the ref
// in the dependent's template; an edge made through a macro names the model's file only.
func locateCycle(p *project.Project, ce *dag.CycleError) *CycleError {
	out := &CycleError{CycleError: ce}
	for i := 0; i+1 < len(ce.Path); i++ {
		dep, from := p.Manifest.Nodes[ce.Path[i]], p.Manifest.Nodes[ce.Path[i+1]]
		if dep == nil || from == nil {
			return out
		}
		where := from.Path
		if tp := p.Templates[from.UniqueID]; tp != nil {
			for _, r := range tp.Static.Refs {
				if len(r.Args) > 0 && r.Args[0] == dep.Name {
					where = fmt.Sprintf("%s:%d:%d", r.File, r.Line, r.Col)
					break
				}
			}
		}
		out.Edges = append(out.Edges, fmt.Sprintf("%s: %s refs %s", where, from.Name, dep.Name))
	}
	return out
}
