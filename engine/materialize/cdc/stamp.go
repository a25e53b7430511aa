package cdc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/internal/osfs"
)

// A local file is fingerprinted by its sha256, which means reading all of it: every run read
// every file a model had ever loaded to check that none had changed, 4.4 GB of CSV in week 4 at
// 200k users (3.7 s before the load began) and 22 GB at 1M users (29.9 s), growing every week.
// So the hash is cached, keyed by the file's stamp: its size, modification and change times and
// inode as stat reports them. Writing a file changes its change time, which no tool can set back
// (unlike the modification time, which cp -p and rsync -t copy), and replacing it changes the
// inode; so while the stamp is the same, so are the contents the cached hash was taken of, and a
// different stamp only means the file is read and hashed again.
//
// The cache lives in the project's target directory, not in the warehouse: stamps differ from
// machine to machine and copy to copy, and the ledger and every statement of a load must not (a
// rebuild and a resumed run are compared with an uninterrupted one). Deleting it costs a re-read.
//
// A file modified within the clock tick of its last write may keep its times, so a file changed
// less than a moment before it was stat'ed gets no stamp (osfs.Stamp, git's "racily clean" rule)
// and is hashed every time.

// hashCache is a directory of one small file per local file hashed: "stamp sha256" (dir empty: no
// cache), and the session's flights, through which a Prepare waits for a hash its Prefetch is
// taking rather than taking it again. Entries are written with osfs.WriteAtomic (a temp file of
// its own, renamed into place), so concurrent loads of models that share a file, or a kill,
// leave an old entry, a new one or none, never a torn one.
type hashCache struct {
	dir     string
	flights *materialize.Flights
}

func newHashCache(env materialize.PrepareEnv) hashCache {
	return hashCache{dir: env.Cache, flights: env.Flights}
}

func (c hashCache) entry(abs string) string {
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(c.dir, "file-"+hex.EncodeToString(sum[:16]))
}

// sha256 returns f's hash: the cached one when f's stamp is the stamp it was taken with, else
// computed (after f was stat'ed, so a later write shows in the next stamp) and cached.
func (c hashCache) sha256(ctx context.Context, f File) (string, error) {
	if c.dir == "" || f.Stamp == "" {
		return fileSHA256(ctx, f.Abs)
	}
	return c.flights.Do(f.Abs+"\x00"+f.Stamp, func() (string, error) {
		e := c.entry(f.Abs)
		if b, err := os.ReadFile(e); err == nil {
			if stamp, sum, ok := strings.Cut(strings.TrimSpace(string(b)), " "); ok && stamp == f.Stamp && len(sum) == 64 {
				return sum, nil
			}
		}
		sum, err := fileSHA256(ctx, f.Abs)
		if err != nil {
			return "", err
		}
		// A cache that cannot be written only costs the next run a read.
		_ = osfs.WriteAtomic(e, func(w io.Writer) error {
			_, err := io.WriteString(w, f.Stamp+" "+sum+"\n")
			return err
		})
		return sum, nil
	})
}
