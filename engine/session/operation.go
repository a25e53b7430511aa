package session

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/dwmhq/dwm/engine/artifacts"
	"github.com/dwmhq/dwm/engine/chsql"
)

// RunOperation renders a macro with named arguments and executes the statements it produces,
// one by one, in order (dbt's run-operation). The statements are logged to
// target/run/operations/<macro>.sql. It returns how many ran; on a failure, the statements before
// the failing one have run (ClickHouse has no transactions to undo them).
func (s *Session) RunOperation(ctx context.Context, macro string, args map[string]any) (int, error) {
	sql, err := s.Compiler.Operation(macro, args)
	if err != nil {
		return 0, fmt.Errorf("run-operation %s: %w", macro, err)
	}
	stmts, err := chsql.Split(sql)
	if err != nil {
		return 0, fmt.Errorf("run-operation %s: the rendered SQL cannot be read: %w", macro, err)
	}
	if len(stmts) == 0 {
		return 0, nil
	}
	wh, err := s.Warehouse(ctx)
	if err != nil {
		return 0, err
	}
	var log artifacts.SQLLog
	defer func() {
		_ = s.WriteArtifact(filepath.Join(string(s.Target), "run", "operations", macro+".sql"), []byte(log.String()))
	}()
	for i, st := range stmts {
		log.Add(st)
		if _, err := wh.Exec(ctx, st); err != nil {
			return i, fmt.Errorf("run-operation %s: statement %d of %d: %w", macro, i+1, len(stmts), err)
		}
	}
	return len(stmts), nil
}
