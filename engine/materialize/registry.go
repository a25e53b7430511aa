package materialize

import (
	"fmt"
	"sort"
)

// Materialization is one way of building a model's relation. Plan must be pure: the same Input
// gives the same Steps, and it never touches a warehouse.
type Materialization interface {
	// Name is the value of the `materialized` config that selects it.
	Name() string
	// ConfigKeys are the config keys specific to this materialization, so the project loader
	// can reject unknown keys. Keys every node accepts (tags, alias, ...) are not listed.
	ConfigKeys() []string
	// Plan returns the statements that build in.Node's relation from in.SQL given in.State.
	Plan(in Input) ([]Step, error)
}

// Registry maps materialization names to implementations. Build one per run with Default (or
// NewRegistry) and add project kinds with Register; there is no global registry.
type Registry struct {
	byName map[string]Materialization
}

// NewRegistry returns a registry holding ms.
func NewRegistry(ms ...Materialization) (*Registry, error) {
	r := &Registry{byName: map[string]Materialization{}}
	for _, m := range ms {
		if err := r.Register(m); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Default returns a fresh registry with dwm's built-in materializations: view, table,
// incremental and ephemeral.
func Default() *Registry {
	r := &Registry{byName: map[string]Materialization{}}
	for _, m := range []Materialization{ViewMaterialization{}, TableMaterialization{}, IncrementalMaterialization{}, EphemeralMaterialization{}} {
		r.byName[m.Name()] = m
	}
	return r
}

// Register adds m; a second materialization with the same name is an error.
func (r *Registry) Register(m Materialization) error {
	name := m.Name()
	if name == "" {
		return fmt.Errorf("register materialization %T: empty name", m)
	}
	if _, dup := r.byName[name]; dup {
		return fmt.Errorf("register materialization %q: already registered", name)
	}
	r.byName[name] = m
	return nil
}

// Lookup returns the materialization called name.
func (r *Registry) Lookup(name string) (Materialization, bool) {
	m, ok := r.byName[name]
	return m, ok
}

// Names lists the registered materializations, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Plan plans in.Node with the materialization its config names.
func (r *Registry) Plan(in Input) ([]Step, error) {
	if in.Node == nil {
		return nil, fmt.Errorf("materialize: no node")
	}
	name := in.Node.Config.Materialized
	m, ok := r.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("materialize %s: unknown materialization %q (known: %v)", in.Node.UniqueID, name, r.Names())
	}
	return m.Plan(in)
}
