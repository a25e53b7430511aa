package chdb

import (
	"fmt"
	"sync"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// engine is the process-wide side of libchdb, and the package's one piece of global state.
// It exists because the library itself is process-wide: a shared object can be dlopened but
// never usefully unloaded, signal handling must be switched off before the first connect, and
// the embedded server runs one data directory per process (a connect to a second directory
// returns NULL while the first has connections). Recording the open directory here turns that
// NULL into a clear error. Nothing is loaded until the first Open.
type engine struct {
	mu      sync.Mutex
	lib     *lib
	openDir string // data directory of the open Warehouse, "" when none
}

// theEngine is the process's only engine; see engine for why it is global.
var theEngine engine

// acquire loads libchdb on first use and reserves dir for one Warehouse.
func (e *engine) acquire(explicitLib, dir string, getenv func(string) string) (*lib, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.openDir == dir {
		return nil, fmt.Errorf("%w: %s is already open in this process; share the open Warehouse instead",
			warehouse.ErrLocked, dir)
	}
	if e.openDir != "" {
		return nil, fmt.Errorf("warehouse %s is open in this process and libchdb runs one data directory "+
			"per process; close it before opening %s", e.openDir, dir)
	}
	if e.lib == nil || explicitLib != "" {
		path, err := FindLibrary(explicitLib, getenv)
		if err != nil {
			return nil, err
		}
		if e.lib != nil && path != e.lib.path {
			return nil, fmt.Errorf("libchdb is already loaded from %s in this process; cannot also load %s",
				e.lib.path, path)
		}
		if e.lib == nil {
			l, err := loadLib(path)
			if err != nil {
				return nil, err
			}
			// Before the first connect, or libchdb installs handlers for SIGSEGV and friends and
			// a plain Go panic then hangs for minutes instead of exiting. Measured on Linux; the
			// switch is part of the C API on every platform, and Go's runtime relies on its own
			// SIGSEGV/SIGBUS handlers on macOS just as on Linux, so it is made everywhere.
			l.setSignalHandlersEnabled(0)
			e.lib = l
		}
	}
	e.openDir = dir
	return e.lib, nil
}

// release frees dir for the next Open.
func (e *engine) release(dir string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.openDir == dir {
		e.openDir = ""
	}
}
