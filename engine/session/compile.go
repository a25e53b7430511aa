package session

import (
	"runtime"
	"sync"

	"github.com/dwmhq/dwm/engine/compile"
	"github.com/dwmhq/dwm/internal/osfs"
)

// CompileNodes renders the given nodes that have a template, in parallel, and when write is set
// writes each to target/compiled (in place, unchanged files untouched: osfs.WriteInPlace).
// It returns how many it rendered; on failure, the error of the first failing node in the order
// given, so messages are stable.
func (s *Session) CompileNodes(ids []string, write bool) (int, error) {
	var todo, paths []string
	for _, id := range ids {
		if s.Project.Templates[id] != nil {
			todo = append(todo, id) // generic tests compile when they run
			paths = append(paths, s.Target.CompiledPath(s.Project.Manifest.Project, s.Node(id)))
		}
	}
	if write {
		if err := osfs.MakeDirs(paths); err != nil {
			return 0, err
		}
	}
	errs := make([]error, len(todo))
	next := make(chan int, len(todo))
	for i := range todo {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(todo), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				sql, err := s.Compiler.Node(todo[i], compile.Options{})
				if err == nil && write {
					err = osfs.WriteInPlace(paths[i], []byte(s.Compiler.Scrub(sql)))
				}
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return len(todo), nil
}
