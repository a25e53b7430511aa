package cdc

import (
	"os"
	"strconv"
	"time"
)

// A local file is fingerprinted by its sha256, which means reading all of it: every run read
// every file a model had ever loaded to check that none had changed, 4.4 GB of CSV in week 4 at
// 200k users (3.7 s before the load began) and 22 GB at 1M users, growing with every week. The
// stamp lets a run skip the read: the size, modification and change times and inode that stat
// reports, recorded in the ledger when the file is loaded. Writing a file changes its change
// time, which no tool can set back (unlike the modification time, which cp -p and rsync -t
// copy), and replacing it changes the inode; so while the stamp is the same, the contents the
// sha256 was taken of are too. A different stamp only means the file is read and hashed again,
// as before.
//
// A file modified within the clock tick of its last write may keep its times, so a file changed
// less than racyWindow before it was stat'ed gets no stamp (git's "racily clean" rule): it is
// read again next time.
const racyWindow = 2 * time.Second

// statStamp returns the stamp of fi, taken at now, or "" when the file is too new to vouch for
// or the platform does not report change times and inodes.
func statStamp(fi os.FileInfo, now time.Time) string {
	ctime, ino, ok := changeTime(fi)
	if !ok || now.Sub(fi.ModTime()) < racyWindow || now.Sub(ctime) < racyWindow {
		return ""
	}
	return "stat:" + strconv.FormatInt(fi.Size(), 10) + ":" + strconv.FormatInt(fi.ModTime().UnixNano(), 10) +
		":" + strconv.FormatInt(ctime.UnixNano(), 10) + ":" + strconv.FormatUint(ino, 10)
}
