package chdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// lockFileName is dwm's own lock inside the data directory. It is not libchdb's DIR/status:
// libchdb flocks that file itself, and flock conflicts between two descriptors even inside one
// process, so probing it would lock our own engine out.
const lockFileName = "dwm.lock"

// dirLock is an exclusive flock on DIR/dwm.lock held while a Warehouse is open. The kernel drops
// it when the process dies, so a crash never leaves a stale lock behind.
//
// flock(2), not fcntl/POSIX record locks, and the choice matters on both platforms dwm runs on:
// Linux and macOS both implement flock with the same semantics (one lock per open file
// description, conflicting even between two descriptors of one process, released on close or
// exit), whereas a POSIX lock belongs to the process and silently vanishes when any descriptor
// of the file is closed. It is also what libchdb uses on DIR/status. syscall.Flock exists on
// both, and a busy lock reports EWOULDBLOCK on both (EAGAIN's alias: 11 on Linux, 35 on macOS).
type dirLock struct {
	f *os.File
}

// lockDir takes the lock without blocking. When another process holds it the error wraps
// warehouse.ErrLocked and names the directory and, when recorded, the holder's PID.
func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := readPID(f)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid, _ := strconv.Atoi(holder)
			return nil, &LockedError{Dir: dir, LockFile: path, PID: pid}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The PID is only for the message a second process prints; the flock is the lock.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f}, nil
}

// LockedError is warehouse.ErrLocked with the holder: a caller that knows the holding process
// (a running `dwm serve`) can reach the warehouse through it.
type LockedError struct {
	Dir, LockFile string
	// PID is the holder's process ID as it recorded it; 0 when unknown.
	PID int
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.PID > 0 {
		who = "process " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("%v: %s is held by %s (lock file %s)", warehouse.ErrLocked, e.Dir, who, e.LockFile)
}

func (e *LockedError) Unwrap() error { return warehouse.ErrLocked }

func readPID(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	return strings.TrimSpace(string(buf[:n]))
}

// unlock releases the lock; closing the descriptor drops the flock.
func (l *dirLock) unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
