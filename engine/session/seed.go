package session

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/dwmhq/dwm/engine/artifacts"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/seed"
)

// seedSchemas caches parsed seeds so a run parses each file once.
type seedSchemas struct {
	mu sync.Mutex
	m  map[string]*seed.Schema
}

// ParseSeeds reads and validates the selected seeds before anything is written, so a bad CSV row
// stops the command with file:line:col and the warehouse untouched.
func (s *Session) ParseSeeds(ids []string) error {
	for _, id := range ids {
		n := s.Node(id)
		if n.ResourceType != manifest.Seed {
			continue
		}
		if _, err := s.seedSchema(n); err != nil {
			return err
		}
	}
	return nil
}

func (s *Session) seedSchema(n *manifest.Node) (*seed.Schema, error) {
	s.seeds.mu.Lock()
	defer s.seeds.mu.Unlock()
	if sc, ok := s.seeds.m[n.UniqueID]; ok {
		return sc, nil
	}
	opts, err := seed.OptionsFrom(n.Config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n.Path, err)
	}
	sc, err := seed.Parse(s.Project.FS, n.Path, opts)
	if err != nil {
		return nil, err
	}
	if s.seeds.m == nil {
		s.seeds.m = map[string]*seed.Schema{}
	}
	s.seeds.m[n.UniqueID] = sc
	return sc, nil
}

// loadSeed loads one seed CSV atomically: into a temporary table, then swapped in.
func (s *Session) loadSeed(ctx context.Context, id string) runner.Result {
	n := s.Node(id)
	fail := func(err error) runner.Result {
		return runner.Result{Status: runner.Error, Err: &NodeError{Node: n.Name, Err: err}}
	}
	wh, err := s.Warehouse(ctx)
	if err != nil {
		return fail(err)
	}
	sc, err := s.seedSchema(n)
	if err != nil {
		return fail(err)
	}
	if err := s.ensureDatabase(ctx, wh, n.Database); err != nil {
		return fail(err)
	}
	state, err := materialize.Inspect(ctx, wh, n.Database, n.Alias)
	if err != nil {
		return fail(err)
	}
	in := seed.Input{Node: n, Schema: sc, State: state, Caps: wh.Capabilities(), Suffix: s.Invocation,
		AbsPath: filepath.Join(s.Dir, filepath.FromSlash(n.Path))}
	if !in.Caps.ReadsLocalFiles {
		if in.Data, err = os.ReadFile(in.AbsPath); err != nil {
			return fail(err)
		}
	}
	steps, err := seed.Plan(in)
	if err != nil {
		return fail(err)
	}
	comments, err := materialize.CommentSteps(n, in.Caps)
	if err != nil {
		return fail(err)
	}
	steps = append(steps, comments...)
	var log artifacts.SQLLog
	stats, err := materialize.Execute(ctx, wh, steps, log.Add)
	if werr := s.WriteArtifact(s.Target.RunPath(s.Project.Manifest.Project, n), []byte(log.String())); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return fail(err)
	}
	return runner.Result{Status: runner.Success, RowsAffected: stats.RowsWritten, EngineTime: stats.Elapsed.Seconds(),
		Message: fmt.Sprintf("INSERT %d", stats.RowsWritten)}
}
