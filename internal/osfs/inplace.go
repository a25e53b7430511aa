package osfs

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Compiled SQL (target/compiled) is written differently from manifest.json and run_results.json:
// `dwm compile` writes thousands of small files, and a temp file + chmod + rename for each cost
// more than everything else the command does (on this project's ext4 machine, creating and renaming a
// directory entry took ~0.5 ms each under load, for 10,000 files). Compiled SQL is a view of the
// project, rewritten on every compile, so it is written in place: a file that already holds
// the same bytes is left alone (no directory or inode change at all), anything else is
// overwritten. A kill in the middle can leave one file truncated; the next compile rewrites it.

// MakeDirs creates the parent folders of paths, each once.
func MakeDirs(paths []string) error {
	done := map[string]bool{}
	for _, p := range paths {
		dir := filepath.Dir(p)
		if done[dir] {
			continue
		}
		done[dir] = true
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// WriteInPlace makes the file at path hold data, writing only when it does not already; its
// folder must exist (MakeDirs). It is not atomic: see above for why that is fine for compiled SQL.
// It goes straight to the system calls: os.OpenFile also registers every file with the
// runtime's poller, which regular files refuse, four extra calls per file.
func WriteInPlace(path string, data []byte) error {
	fd, err := retry(func() (int, error) {
		return syscall.Open(path, syscall.O_RDWR|syscall.O_CREAT|syscall.O_CLOEXEC, 0o644)
	})
	if errors.Is(err, syscall.EACCES) {
		// A read-only file in a writable folder: replace it.
		return WriteAtomic(path, func(w io.Writer) error { _, err := w.Write(data); return err })
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	err = fill(fd, data)
	if cerr := syscall.Close(fd); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return &fs.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}

// fill writes data over the open file fd unless it already holds exactly data.
func fill(fd int, data []byte) error {
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Size == int64(len(data)) {
		old := make([]byte, len(data))
		n, err := retry(func() (int, error) { return syscall.Pread(fd, old, 0) })
		if err == nil && n == len(data) && bytes.Equal(old, data) {
			return nil
		}
	}
	for off := 0; off < len(data); {
		n, err := retry(func() (int, error) { return syscall.Pwrite(fd, data[off:], int64(off)) })
		if err != nil {
			return err
		}
		off += n
	}
	if st.Size > int64(len(data)) {
		return syscall.Ftruncate(fd, int64(len(data)))
	}
	return nil
}

// WriteAtomic streams a file through write into a temp file beside path (creating folders),
// then renames it over path, so readers see the old file or the whole new one.
func WriteAtomic(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(tmp, 256<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	// CreateTemp makes the file private (0600); artifacts are ordinary readable files.
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
