package chdbinstall

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// lockInstall takes an exclusive flock on root/.install.lock, so two installs into one cache
// (two terminals, or make setup running twice) never interleave. flock, as for the data
// directory lock (see package chdb): Linux and macOS give it the same semantics and the
// kernel drops it when the process dies, so a killed install never blocks the next one. It
// polls instead of blocking so that ctx (Ctrl-C) still interrupts the wait; waiting is called
// once with the holder's PID when another install holds the lock.
func lockInstall(ctx context.Context, root string, waiting func(holder string)) (unlock func(), err error) {
	path := filepath.Join(root, ".install.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !told && waiting != nil {
			buf := make([]byte, 32)
			n, _ := f.ReadAt(buf, 0)
			waiting("pid " + strings.TrimSpace(string(buf[:n])))
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil
}
