// Package session is dwm's library entry point: it loads a project, builds its graph, selects
// nodes and runs them against the project's target. The CLI is a thin shell over it.
package session

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/dwmhq/dwm/engine/artifacts"
	"github.com/dwmhq/dwm/engine/compile"
	"github.com/dwmhq/dwm/engine/dag"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/project"
	"github.com/dwmhq/dwm/engine/seed"
	"github.com/dwmhq/dwm/engine/selector"
	"github.com/dwmhq/dwm/engine/state"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/internal/osfs"
)

// Version is dwm's version, recorded in artifacts.
const Version = "0.1.0"

// Options open a session.
type Options struct {
	ProjectDir string
	Target     string
	Vars       map[string]any
	Threads    int
	// Getenv reads the environment; nil means os.LookupEnv.
	Getenv func(string) (string, bool)
	// Registry holds the materializations; nil means materialize.Default plus dwm's warehouse kinds.
	Registry *materialize.Registry
	// OpenWarehouse opens the target; nil means the built-in opener (chdb or clickhouse).
	OpenWarehouse func(ctx context.Context, t project.Target, projectDir string, conns int) (warehouse.Warehouse, error)
	// State is a previous target/ folder (--state): the state and result selectors compare with
	// it and --defer reads unselected parents from the relations it records.
	State *state.State
	// Now is the clock of the listing cache's stamps (OpenListing); nil means time.Now.
	Now func() time.Time
	// Notice receives what a user should know about how the warehouse was reached (a running
	// dwm serve holds it and statements go through it); nil drops it.
	Notice func(msg string)
}

// Session is one loaded project and, once needed, its open warehouse.
type Session struct {
	Project    *project.Project
	DAG        *dag.DAG
	Compiler   *compile.Compiler
	Registry   *materialize.Registry
	Dir        string // absolute project directory
	Target     artifacts.Dir
	Invocation string // unique per session; also the suffix of temporary tables

	opts   Options
	whOnce sync.Once
	wh     warehouse.Warehouse
	whErr  error
	dbs    sync.Map // databases already created in this session
	// pending waits for what loading left running (OpenListing's cache write); nil for none.
	pending func()
	seeds   seedSchemas
	// flights lets a model's Prepare wait for a file hash its prefetch is taking (Run).
	flights materialize.Flights
}

// Open loads and validates the project. It does not touch the warehouse.
func Open(opts Options) (*Session, error) {
	return open(opts, func(dir string, po project.Options) (*project.Project, func(), error) {
		p, err := project.Load(osfs.DirFS(dir), po)
		return p, nil, err
	})
}

// OpenListing is Open for commands that only list and select nodes (`dwm ls`). With useCache an
// unchanged project is read from its listing cache instead of parsed (project.LoadListing), and
// then has no templates: nothing can be compiled or run from it.
func OpenListing(opts Options, useCache bool) (*Session, error) {
	s, err := open(opts, func(dir string, po project.Options) (*project.Project, func(), error) {
		return project.LoadListing(dir, po, useCache)
	})
	var ce *CycleError
	if useCache && errors.As(err, &ce) {
		// A cycle is located in the templates (file, line and column of the ref), which a
		// cached listing does not have: parse, for the same message as every other command.
		return Open(opts)
	}
	return s, err
}

// open loads the project with load, which may leave work running (a cache being written): the
// session's Close waits for it.
func open(opts Options, load func(dir string, po project.Options) (*project.Project, func(), error)) (*Session, error) {
	dir, err := filepath.Abs(opts.ProjectDir)
	if err != nil {
		return nil, err
	}
	reg := opts.Registry
	if reg == nil {
		if reg, err = defaultRegistry(); err != nil {
			return nil, err
		}
	}
	if opts.Threads <= 0 {
		opts.Threads = 4
	}
	keys := append([]string{}, seed.ConfigKeys()...)
	for _, n := range reg.Names() {
		m, _ := reg.Lookup(n)
		keys = append(keys, m.ConfigKeys()...)
	}
	p, pending, err := load(dir, project.Options{Target: opts.Target, Vars: opts.Vars, Getenv: opts.Getenv,
		ConfigKeys: keys, Materializations: reg.Names(), Now: opts.Now})
	if err != nil {
		return nil, err
	}
	g, err := dag.Build(p.Manifest)
	if err != nil {
		if pending != nil {
			pending()
		}
		var ce *dag.CycleError
		if errors.As(err, &ce) {
			return nil, locateCycle(p, ce)
		}
		return nil, err
	}
	comp := compile.New(p, opts.Getenv)
	comp.Dir = dir
	s := &Session{Project: p, DAG: g, Compiler: comp, Registry: reg, Dir: dir, opts: opts,
		Target: artifacts.Dir(filepath.Join(dir, p.File.TargetPath)), Invocation: newInvocationID(), pending: pending}
	return s, nil
}

func newInvocationID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = digits[int(c)%len(digits)]
	}
	return time.Now().UTC().Format("20060102150405") + string(out)
}

// Select evaluates --select/--exclude and keeps the given resource types (all when empty).
// Warnings name criteria that matched nothing.
func (s *Session) Select(selects, excludes []string, types []manifest.ResourceType, indirect selector.IndirectSelection) ([]string, []string, error) {
	sel, err := selector.Parse(selects, excludes)
	if err != nil {
		return nil, nil, err
	}
	var st selector.State
	if s.opts.State != nil {
		st = s.opts.State
	} else if selector.Uses(sel.Expr, selector.MethodState, selector.MethodResult) {
		return nil, nil, errors.New("the state and result selectors compare with a previous run: pass --state DIR (a target/ folder)")
	}
	ids, warns := sel.Select(s.DAG, s.Project.Manifest, selector.Options{Indirect: indirect, State: st})
	keep := map[manifest.ResourceType]bool{}
	for _, t := range types {
		keep[t] = true
	}
	var out []string
	for _, id := range ids {
		if len(types) == 0 || keep[s.Project.Manifest.Nodes[id].ResourceType] {
			out = append(out, id)
		}
	}
	var ws []string
	for _, w := range warns {
		ws = append(ws, w.String())
	}
	return s.DAG.Order(out), ws, nil
}

// Warehouse opens the target on first use.
func (s *Session) Warehouse(ctx context.Context) (warehouse.Warehouse, error) {
	s.whOnce.Do(func() {
		open := s.opts.OpenWarehouse
		if open == nil {
			open = OpenTarget
		}
		s.wh, s.whErr = open(ctx, s.Project.Target, s.Dir, s.opts.Threads)
		if ts, ok := s.wh.(*ThroughServer); ok && s.opts.Notice != nil {
			s.opts.Notice(fmt.Sprintf("the warehouse is held by dwm serve (pid %d); running through it at tcp://%s", ts.PID, ts.Addr))
		}
		if s.whErr == nil {
			// Statements name the object store's keys by placeholder (see objstore); only the
			// connection fills them in, and scrubs them from what comes back.
			if store, err := s.ObjectStore(); err == nil {
				s.wh = warehouse.WithSecrets(s.wh, store.Secrets())
			}
		}
	})
	return s.wh, s.whErr
}

// Close closes the warehouse if it was opened.
func (s *Session) Close() error {
	if s.pending != nil {
		s.pending()
	}
	if s.wh != nil {
		return s.wh.Close()
	}
	return nil
}

// ensureDatabase creates a node's database once per session.
func (s *Session) ensureDatabase(ctx context.Context, wh warehouse.Warehouse, db string) error {
	if _, done := s.dbs.Load(db); done {
		return nil
	}
	caps := wh.Capabilities()
	if _, err := wh.Exec(ctx, materialize.CreateDatabase(db, caps)); err != nil {
		return fmt.Errorf("create database %s: %w", db, err)
	}
	if caps.Cluster != "" {
		// An existing database keeps its engine; on a cluster that engine decides whether table
		// DDL needs ON CLUSTER, so it must be the one the target declares.
		res, err := wh.Query(ctx, "SELECT engine FROM system.databases WHERE name = "+manifest.QuoteString(db))
		if err != nil {
			return fmt.Errorf("database %s: %w", db, err)
		}
		if len(res.Rows) == 1 {
			if err := materialize.CheckDatabaseEngine(db, res.String(0, 0), caps); err != nil {
				return err
			}
		}
	}
	s.dbs.Store(db, true)
	return nil
}

// WriteArtifact writes a file under target/ with secret values masked (compile.SecretPrefix).
func (s *Session) WriteArtifact(path string, data []byte) error {
	return artifacts.WriteFile(path, []byte(s.Compiler.Scrub(string(data))))
}

// WriteManifest writes target/manifest.json.
func (s *Session) WriteManifest() error {
	return s.Target.WriteManifest(s.Project.Manifest, Version, s.Invocation, s.Project.TargetName)
}

// Node returns a node by ID.
func (s *Session) Node(id string) *manifest.Node { return s.Project.Manifest.Nodes[id] }

// FS returns the project's files.
func (s *Session) FS() fs.FS { return s.Project.FS }

// sortedKeys is used for deterministic output.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
