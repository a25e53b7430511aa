package session

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/dwmhq/dwm/engine/project"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/dwmhq/dwm/engine/warehouse/server"
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
		// A killed earlier run may have left tables of interrupted statements; this process now
		// owns the engine alone, so they are dropped before anything runs.
		if _, err := wh.DropAbandoned(ctx); err != nil {
			wh.Close()
			return nil, err
		}
		return wh, nil
	case "clickhouse":
		// One connection more than the runner's threads, like chdb: inspection and tests run
		// beside the models.
		wh, err := server.Open(ctx, server.Options{
			Host: t.Host, Port: t.Port, User: t.User, Password: t.Password, Database: t.Database,
			Secure: t.Secure, Protocol: t.Protocol, Settings: t.Settings,
			Cluster: t.Cluster, ClusterMode: t.ClusterMode, ShardingKey: t.ShardingKey,
			ReplicatedDatabase: t.DatabaseEngine == project.DatabaseReplicated,
			MaxOpenConns:       conns + 1,
		})
		if err != nil {
			return nil, err
		}
		return wh, nil
	}
	return nil, fmt.Errorf("unknown target type %q", t.Type)
}
