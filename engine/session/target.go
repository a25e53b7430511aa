package session

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/dwmhq/dwm/engine/project"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// OpenTarget opens the warehouse a target describes. Relative chdb paths are relative to the project.
func OpenTarget(ctx context.Context, t project.Target, projectDir string, conns int) (warehouse.Warehouse, error) {
	switch t.Type {
	case "chdb":
		path := t.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(projectDir, path)
		}
		settings := map[string]string{}
		for k, v := range t.Settings {
			settings[k] = v
		}
		wh, err := chdb.Open(ctx, chdb.Options{Path: path, Database: t.Database, LibraryPath: t.Library, Conns: conns + 1, Settings: settings})
		if err != nil {
			return nil, err
		}
		return wh, nil
	case "clickhouse":
		return nil, fmt.Errorf("target type clickhouse is not supported by this build yet")
	}
	return nil, fmt.Errorf("unknown target type %q", t.Type)
}
