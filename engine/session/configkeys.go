package session

import (
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/materialize/cdc"
	"github.com/dwmhq/dwm/engine/materialize/snapshot"
	"github.com/dwmhq/dwm/engine/project"
	"github.com/dwmhq/dwm/engine/seed"
)

// KnownConfigKeys lists every config key a project loaded with the default materializations
// accepts, for tools that write projects (dwm import dbt keeps exactly these).
func KnownConfigKeys() ([]string, error) {
	reg, err := defaultRegistry()
	if err != nil {
		return nil, err
	}
	keys := append(project.CommonConfigKeys(), seed.ConfigKeys()...)
	for _, n := range reg.Names() {
		m, _ := reg.Lookup(n)
		keys = append(keys, m.ConfigKeys()...)
	}
	return keys, nil
}

// defaultRegistry is the materializations a session has unless told otherwise: the built-in
// ones, CDC's and snapshots'.
func defaultRegistry() (*materialize.Registry, error) {
	reg := materialize.Default()
	if err := cdc.Register(reg); err != nil {
		return nil, err
	}
	if err := reg.Register(snapshot.Snapshot{}); err != nil {
		return nil, err
	}
	return reg, nil
}
