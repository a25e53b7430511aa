package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/dwmhq/dwm/engine/project"
	"github.com/dwmhq/dwm/engine/runner"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// Environment variables of the fault injection the crash-safety tests use (e2e/crash_test.go).
const (
	// envCrashAfter: the process kills itself (SIGKILL, like kill -9) before the statement after
	// that many.
	envCrashAfter = "DWM_CRASH_AFTER"
	// envStatementLog: append one line per statement ("index, node, SQL") to this file, so a
	// test can pick kill points from an uninterrupted run with --threads 1.
	envStatementLog = "DWM_STATEMENT_LOG"
)

// faultInjection returns a warehouse opener that wraps the target in warehouse.CrashAfter when
// either variable is set, else nil.
func faultInjection() (func(context.Context, project.Target, string, int) (warehouse.Warehouse, error), error) {
	limit := int64(-1)
	if v, ok := os.LookupEnv(envCrashAfter); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%s=%q: want a statement count >= 0", envCrashAfter, v)
		}
		limit = n
	}
	logPath := os.Getenv(envStatementLog)
	if limit < 0 && logPath == "" {
		return nil, nil
	}
	return func(ctx context.Context, t project.Target, dir string, conns int) (warehouse.Warehouse, error) {
		wh, err := session.OpenTarget(ctx, t, dir, conns)
		if err != nil {
			return nil, err
		}
		c := &warehouse.CrashAfter{Warehouse: wh, Limit: limit, Node: runner.NodeOf,
			Kill: func() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL) }}
		if logPath != "" {
			// Closed by the process's exit: the log must outlive a kill, and every line is one
			// write to an O_APPEND file, which the kernel keeps when the process dies.
			f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
			if err != nil {
				wh.Close()
				return nil, fmt.Errorf("%s: %w", envStatementLog, err)
			}
			c.Log = f
		}
		return c, nil
	}, nil
}
