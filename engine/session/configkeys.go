package session

import (
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/materialize/cdc"
	"github.com/dwmhq/dwm/engine/project"
	"github.com/dwmhq/dwm/engine/seed"
)

// KnownConfigKeys lists every config key a project loaded with the default materializations
// accepts, for tools that write projects (dwm import dbt keeps exactly these).
func KnownConfigKeys() ([]string, error) {
	reg := materialize.Default()
	if err := cdc.Register(reg); err != nil {
		return nil, err
	}
	keys := append(project.CommonConfigKeys(), seed.ConfigKeys()...)
	for _, n := range reg.Names() {
		m, _ := reg.Lookup(n)
		keys = append(keys, m.ConfigKeys()...)
	}
	return keys, nil
}
