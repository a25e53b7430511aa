// Package osfs reads and writes many small files with as few system calls as the job needs.
// Loading a project reads every model file and `dwm compile` writes one file per model (10,000
// each in the compile benchmark). The os package registers every file it opens with the
// runtime's network poller, which regular files refuse (fcntl and epoll_ctl calls), and
// os.ReadFile reads once more to see EOF; here a read is open, fstat, read, close.
package osfs

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// DirFS returns the files under dir, as os.DirFS does.
func DirFS(dir string) fs.FS { return dirFS{FS: os.DirFS(dir), dir: dir} }

type dirFS struct {
	fs.FS
	dir string
}

var _ fs.ReadFileFS = dirFS{}

// ReadFile reads the named file, with errors shaped as os.DirFS gives them (*fs.PathError
// with the name relative to the folder).
func (d dirFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "readfile", Path: name, Err: fs.ErrInvalid}
	}
	fd, err := retry(func() (int, error) {
		return syscall.Open(filepath.Join(d.dir, filepath.FromSlash(name)), syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	// One byte more than the size, so a file read whole needs no second read to see EOF
	// (files that report no size, like those in /proc, grow the buffer as they go).
	data := make([]byte, 0, max(st.Size+1, 512))
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := retry(func() (int, error) { return syscall.Read(fd, data[len(data):cap(data)]) })
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		data = data[:len(data)+n]
		if n == 0 || (st.Size > 0 && int64(len(data)) == st.Size && st.Mode&syscall.S_IFMT == syscall.S_IFREG) {
			return data, nil
		}
	}
}

// retry repeats a system call interrupted by a signal (the Go runtime preempts with signals).
func retry(call func() (int, error)) (int, error) {
	for {
		n, err := call()
		if err != syscall.EINTR {
			return n, err
		}
	}
}
