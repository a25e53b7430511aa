package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"

	"github.com/dwmhq/dwm/engine/project"
	"github.com/dwmhq/dwm/engine/serve/discovery"
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
		// The engine compiles an expression to machine code (LLVM) once a process has evaluated
		// it three times (compile_expressions, min_count_to_compile_expression). A build runs
		// each statement once and exits, so a compile is paid and its code barely used; in a
		// long `dwm simulate` the compiles landed in week 4, on the tests' expressions
		// (expression_is_true and accepted_range at 200k users: 0.89-1.12 s against 0.34-0.49 s
		// in weeks 1-3; 0.38-0.42 s without it; docs/benchmarks-warehouse.md, "Eighteenth
		// session"). A target's settings can turn it back on.
		if _, ok := settings["compile_expressions"]; !ok {
			settings["compile_expressions"] = "0"
		}
		wh, err := chdb.Open(ctx, chdb.Options{Path: path, Database: t.Database, LibraryPath: t.Library, Conns: conns + 1, Settings: settings})
		var locked *chdb.LockedError
		if errors.As(err, &locked) {
			return throughServer(ctx, t, locked, conns, err)
		}
		if err != nil {
			return nil, err
		}
		// A killed earlier run may have left tables of interrupted statements and unfinished
		// mutations; this process now owns the engine alone, so they are dropped and finished
		// before anything runs.
		if err := wh.Recover(ctx); err != nil {
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

// ThroughServer is a chdb target's warehouse while a running `dwm serve` holds its data
// directory: statements go to that server over the native protocol, with the credential it left
// for local commands (package discovery).
type ThroughServer struct {
	*server.Warehouse
	// PID is the server's process; Addr the host:port statements go to.
	PID  int
	Addr string
}

// throughServer opens the server that holds a locked data directory, when the lock's holder is
// a `dwm serve` that left its address there. Otherwise lockErr stands, with a hint.
func throughServer(ctx context.Context, t project.Target, locked *chdb.LockedError, conns int, lockErr error) (warehouse.Warehouse, error) {
	info, err := discovery.Read(locked.Dir)
	switch {
	case errors.Is(err, discovery.ErrNotFound) || err == nil && info.PID != locked.PID:
		return nil, lockErr // held by something other than a running dwm serve
	case err != nil:
		return nil, fmt.Errorf("%w (%v)", lockErr, err)
	case info.TCP == "":
		return nil, fmt.Errorf("%w: it is dwm serve, whose native TCP endpoint is off (--tcp-port -1); "+
			"restart it with a TCP port to run commands through it", lockErr)
	}
	host, portText, err := net.SplitHostPort(info.TCP)
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil {
		return nil, fmt.Errorf("%w: dwm serve's address %q is not host:port", lockErr, info.TCP)
	}
	wh, err := server.Open(ctx, server.Options{Host: host, Port: port, User: info.User, Password: info.Token,
		Database: t.Database, Protocol: server.ProtocolNative, Settings: t.Settings, MaxOpenConns: conns + 1})
	if err != nil {
		return nil, fmt.Errorf("%w; connecting through dwm serve (pid %d) at %s failed: %w", lockErr, info.PID, info.TCP, err)
	}
	return &ThroughServer{Warehouse: wh, PID: info.PID, Addr: info.TCP}, nil
}
