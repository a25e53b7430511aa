// Package chdbtest shares one embedded warehouse among the tests of a package. libchdb allows one
// data directory per process, so a package's integration tests open it once in TestMain and give
// each test its own database.
package chdbtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

// SkipEnv, set to 1, skips the tests on the real engine deliberately. Without it a missing
// libchdb fails the tests: they never skip silently.
const SkipEnv = "DWM_SKIP_CHDB"

// Shared is the package's warehouse. Declare one in the test package and call Run from TestMain.
type Shared struct {
	wh   *chdb.Warehouse
	err  error
	skip bool
}

// Run opens the warehouse in a temporary directory with opts (Path is set here), runs the
// tests, closes and removes it, and returns the exit code for os.Exit.
func (s *Shared) Run(m *testing.M, opts chdb.Options) int {
	if os.Getenv(SkipEnv) == "1" {
		s.skip = true
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "dwm-chdbtest-")
	if err != nil {
		s.err = err
		return m.Run()
	}
	defer os.RemoveAll(dir)
	opts.Path = dir
	s.wh, s.err = chdb.Open(context.Background(), opts)
	if s.err == nil {
		defer s.wh.Close()
	}
	return m.Run()
}

// RunWithConfig is Run with the engine booted from the configuration file that config writes
// into a private directory it is given (dwm serve's sandbox, for instance), as a served engine
// boots. A config error fails every test that asks for the warehouse.
func (s *Shared) RunWithConfig(m *testing.M, opts chdb.Options, config func(dir string) (string, error)) int {
	if os.Getenv(SkipEnv) == "1" {
		return s.Run(m, opts)
	}
	dir, err := os.MkdirTemp("", "dwm-chdbtest-config-")
	if err != nil {
		s.err = err
		return m.Run()
	}
	defer os.RemoveAll(dir)
	if opts.ConfigFile, err = config(filepath.Join(dir, "engine")); err != nil {
		s.err = err
		return m.Run()
	}
	return s.Run(m, opts)
}

// Warehouse returns the shared warehouse; it fails tb when the engine could not be opened.
func (s *Shared) Warehouse(tb testing.TB) *chdb.Warehouse {
	tb.Helper()
	if s.skip {
		tb.Skip(SkipEnv + "=1: skipping tests on the real embedded ClickHouse")
	}
	if s.err != nil {
		tb.Fatalf("open chdb: %v (run `make setup`, or set %s=1 to skip deliberately)", s.err, SkipEnv)
	}
	return s.wh
}

// Database creates an empty database named prefix + the test's name and returns the warehouse and
// the name.
func (s *Shared) Database(tb testing.TB, prefix string) (*chdb.Warehouse, string) {
	tb.Helper()
	wh := s.Warehouse(tb)
	db := prefix + strings.NewReplacer("/", "_", " ", "_", "-", "_", "+", "_").Replace(tb.Name())
	for _, sql := range []string{"DROP DATABASE IF EXISTS " + manifest.QuoteIdent(db) + " SYNC", "CREATE DATABASE " + manifest.QuoteIdent(db)} {
		if _, err := wh.Exec(context.Background(), sql); err != nil {
			tb.Fatalf("%s: %v", sql, err)
		}
	}
	return wh, db
}

// Exec runs one statement or fails tb.
func Exec(tb testing.TB, wh warehouse.Warehouse, sql string) {
	tb.Helper()
	if _, err := wh.Exec(context.Background(), sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// Rows runs a query and returns its rows as text: cells joined by sep, rows by newlines.
func Rows(tb testing.TB, wh warehouse.Warehouse, sql, sep string) string {
	tb.Helper()
	res, err := wh.Query(context.Background(), sql)
	if err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	lines := make([]string, 0, len(res.Rows))
	for i := range res.Rows {
		cells := make([]string, 0, len(res.Rows[i]))
		for j := range res.Rows[i] {
			cells = append(cells, res.String(i, j))
		}
		lines = append(lines, strings.Join(cells, sep))
	}
	return strings.Join(lines, "\n")
}
