package osfs

import (
	"io/fs"
	"syscall"
	"time"
)

// changeTime returns the file's change time (ctime) and inode.
func changeTime(fi fs.FileInfo) (time.Time, uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return time.Time{}, 0, false
	}
	return time.Unix(st.Ctim.Sec, st.Ctim.Nsec), st.Ino, true
}
