package cdc

import (
	"context"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/objstore"
	"github.com/dwmhq/dwm/internal/osfs"
)

// Prefetch implements materialize.Prefetcher: it hashes the model's local files ahead of its
// load. A week's clickstream file at 1M users is 5.5 GB, and hashing it (for the ledger row that
// commits it) took 5-10 s of the fact's own time before its load could start; run while the
// models before it build, that time is taken off the fact's.
func (Fact) Prefetch(ctx context.Context, n *manifest.Node, env materialize.PrepareEnv) {
	if !factReadsRelation(n) {
		prefetchHashes(ctx, n, env)
	}
}

// Prefetch implements materialize.Prefetcher, as Fact's does.
func (Staging) Prefetch(ctx context.Context, n *manifest.Node, env materialize.PrepareEnv) {
	prefetchHashes(ctx, n, env)
}

// prefetchHashes puts the hash of every local file matching n's files pattern into the hash
// cache (most are there already: each file is hashed once, when it is new). A file written less
// than osfs.RacyWindow ago has no stamp yet to key its hash by; it is hashed once the window
// has passed, which the generator's last file of a week usually needs. Objects (s3://) are
// fingerprinted by their ETag, which their listing gives, so there is nothing to fetch.
func prefetchHashes(ctx context.Context, n *manifest.Node, env materialize.PrepareEnv) {
	pattern := strings.TrimSpace(n.Config.String("files"))
	p, err := expandVars(pattern, env.Vars)
	if err != nil || pattern == "" || env.Cache == "" || objstore.IsObject(p) {
		return
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	hashes := newHashCache(env)
	for try := 0; try < 2; try++ {
		files, err := globFiles(env.Dir, p, pattern, now)
		if err != nil {
			return
		}
		racy := false
		for _, f := range files {
			if ctx.Err() != nil {
				return
			}
			if f.Stamp == "" {
				racy = true
				continue
			}
			_, _ = hashes.sha256(ctx, f)
		}
		if !racy {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(osfs.RacyWindow):
		}
	}
}
