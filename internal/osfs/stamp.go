package osfs

import (
	"io/fs"
	"strconv"
	"time"
)

// RacyWindow is how long after its last write a file's stamp is not trusted: a file modified
// again within the clock tick of that write may keep its times (git's "racily clean" rule).
const RacyWindow = 2 * time.Second

// Stamp fingerprints a file or folder by what stat reports: its size, modification and change
// times and inode. Writing a file changes its change time, which no tool can set back (unlike
// the modification time, which cp -p and rsync -t copy), and replacing it changes the inode;
// adding, removing or renaming an entry of a folder changes the folder's. So while the stamp is
// the same, so are the contents. It returns "" when the entry changed less than RacyWindow
// before now, or the platform does not report change times and inodes: such an entry cannot be
// vouched for and must be read again.
func Stamp(fi fs.FileInfo, now time.Time) string {
	ctime, _, ok := changeTime(fi)
	if !ok || now.Sub(fi.ModTime()) < RacyWindow || now.Sub(ctime) < RacyWindow {
		return ""
	}
	return RawStamp(fi)
}

// RawStamp is Stamp without the racy window, for a file that is not written in place within a
// clock tick of being read (an executable: a build links for far longer than a tick). "" when
// the platform does not report change times and inodes.
func RawStamp(fi fs.FileInfo) string {
	ctime, ino, ok := changeTime(fi)
	if !ok {
		return ""
	}
	return "stat:" + strconv.FormatInt(fi.Size(), 10) + ":" + strconv.FormatInt(fi.ModTime().UnixNano(), 10) +
		":" + strconv.FormatInt(ctime.UnixNano(), 10) + ":" + strconv.FormatUint(ino, 10)
}
