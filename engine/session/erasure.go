package session

import (
	"context"
	"fmt"

	"github.com/dwmhq/dwm/engine/artifacts"
	"github.com/dwmhq/dwm/engine/pii"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// PII reads the project's personal-data tags (docs/gdpr.md).
func (s *Session) PII() (*pii.Tags, error) { return pii.Read(s.Project.Manifest) }

// Eraser returns what applies the erasure log on this session's warehouse; log, when set,
// receives every statement that changes data.
func (s *Session) Eraser(ctx context.Context, log *artifacts.SQLLog) (*pii.Eraser, error) {
	wh, err := s.Warehouse(ctx)
	if err != nil {
		return nil, err
	}
	tags, err := s.PII()
	if err != nil {
		return nil, err
	}
	e := &pii.Eraser{WH: wh, Manifest: s.Project.Manifest, Tags: tags}
	if log != nil {
		e.Exec = func(ctx context.Context, sql string) (warehouse.Stats, error) {
			log.Add(sql)
			return wh.Exec(ctx, sql)
		}
	}
	return e, nil
}

// eraseAfterBuild applies the erasure log to a model just built, before its tests run: its new
// rows of erased subjects lose their personal values, and a subject model's upstream deletions
// are logged and erased everywhere. It returns a note for the run line ("" when nothing changed).
func (s *Session) eraseAfterBuild(ctx context.Context, name string, log *artifacts.SQLLog) (string, error) {
	e, err := s.Eraser(ctx, log)
	if err != nil {
		return "", err
	}
	if _, subject := e.Tags.Subject(name); !subject && len(e.Tags.Columns[name]) == 0 {
		return "", nil
	}
	done, err := e.AfterBuild(ctx, name)
	if err != nil {
		return "", err
	}
	if len(done) == 0 {
		return "", nil
	}
	var rows uint64
	for _, d := range done {
		rows += d.Rows
	}
	return fmt.Sprintf(" (erasure: %d rows scrubbed in %d tables)", rows, len(done)), nil
}
