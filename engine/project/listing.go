package project

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/internal/osfs"
	"github.com/dwmhq/dwm/internal/parallel"
)

// Listing a project (`dwm ls`) needs its manifest and nothing the templates render. Parsing
// 10,000 models and their YAML takes most of a second, and the bare text/template parse of the
// same files alone is more than the half second a listing should take. So, like dbt's partial
// parsing, a listing keeps what it loaded in target/cache/listing, together with the stamp
// (osfs.Stamp) of every file and folder the load read, stat'ed or listed, taken before it read
// them; the next listing stats them again and, when every one is unchanged, decodes the
// manifest instead of parsing. Anything that could change the manifest besides those entries is
// in the cache's key: dwm's own executable, the target and its database, --vars, and the
// config keys and materializations dwm knows. A stamp that cannot vouch for its entry (changed
// within osfs.RacyWindow of the load, or a platform without change times) means no cache is
// written, so the next listing parses again. Deleting the file costs one parse.

// ListingCacheFile is where LoadListing keeps its cache, relative to the target path.
const ListingCacheFile = "cache/listing"

// The file: listingMagic, a CRC-32C of the rest, the key, the stamped entries, the manifest
// (manifest.MarshalBinary).
const listingMagic = "dwm listing cache 1\n"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// LoadListing returns the project as Load does, for callers that only list and select nodes:
// Templates, Macros and Engine are set only when it parsed. With useCache it reads and writes the
// listing cache (see above); without, it parses every file like Load. A cache is written while the
// caller goes on with the project: wait returns once it is (callers must not change the
// manifest before).
func LoadListing(root string, opts Options, useCache bool) (p *Project, wait func(), err error) {
	fsys := osfs.DirFS(root)
	wait = func() {}
	if !useCache {
		p, err = Load(fsys, opts)
		return p, wait, err
	}
	f, err := readFile(fsys)
	if err != nil {
		return nil, nil, err
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.LookupEnv
	}
	tname, target, err := f.ResolveTarget(opts.Target, getenv)
	if err != nil {
		return nil, nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	key, keyOK := listingKey(opts, tname, target.Database)
	path := f.TargetPath
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	path = filepath.Join(path, filepath.FromSlash(ListingCacheFile))
	if keyOK {
		if m := readListing(root, path, key, now()); m != nil {
			return &Project{FS: fsys, File: f, TargetName: tname, Target: target, Manifest: m, Vars: projectVars(f, opts.Vars)}, wait, nil
		}
	}
	rec := &recorder{fsys: fsys, root: root, now: now(), stamps: map[string]string{}}
	if p, err = Load(rec, opts); err != nil {
		return nil, nil, err
	}
	p.FS = fsys
	if keyOK && !rec.unsure {
		// Encoding and writing 40,000 nodes took a third of a listing's time: the caller builds
		// its graph and prints meanwhile. A cache that cannot be written only costs the next
		// listing a parse.
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = writeListing(path, key, rec.stamps, p.Manifest)
		}()
		wait = func() { <-done }
	}
	return p, wait, nil
}

// listingKey hashes what the manifest depends on besides the files: false when something
// cannot be fingerprinted (no stamp for dwm's executable, --vars JSON cannot hold).
func listingKey(opts Options, tname, database string) (string, bool) {
	exe, err := os.Executable()
	if err != nil {
		return "", false
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return "", false
	}
	stamp := osfs.RawStamp(fi)
	vars, err := json.Marshal(opts.Vars) // sorted keys: the same vars give the same bytes
	if stamp == "" || err != nil {
		return "", false
	}
	keys := append([]string{}, opts.ConfigKeys...)
	sort.Strings(keys)
	parts, _ := json.Marshal([]any{listingMagic, exe, stamp, tname, database, string(vars), keys, opts.Materializations})
	sum := sha256.Sum256(parts)
	return hex.EncodeToString(sum[:]), true
}

// absent is the stamp of an entry the load looked for and did not find.
const absent = "absent"

// recorder is the file system a listing load reads through: it stamps every entry before
// handing it over. unsure is set when some entry cannot be vouched for.
type recorder struct {
	fsys   fs.FS
	root   string
	now    time.Time
	mu     sync.Mutex
	stamps map[string]string
	unsure bool
}

var (
	_ fs.ReadFileFS = (*recorder)(nil)
	_ fs.ReadDirFS  = (*recorder)(nil)
	_ fs.StatFS     = (*recorder)(nil)
)

// stampOf stats one entry below root as os.Stat does (following links, like reading it).
func stampOf(root, name string, now time.Time) string {
	fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(name)))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return absent
	case err != nil:
		return ""
	}
	return osfs.Stamp(fi, now)
}

func (r *recorder) stamp(name string) {
	s := stampOf(r.root, name, r.now)
	r.mu.Lock()
	defer r.mu.Unlock()
	if s == "" {
		r.unsure = true
	}
	if old, seen := r.stamps[name]; seen && old != s {
		r.unsure = true // changed while the load was reading it
	}
	r.stamps[name] = s
}

func (r *recorder) Open(name string) (fs.File, error) {
	r.stamp(name)
	return r.fsys.Open(name)
}

func (r *recorder) ReadFile(name string) ([]byte, error) {
	r.stamp(name)
	return fs.ReadFile(r.fsys, name)
}

func (r *recorder) ReadDir(name string) ([]fs.DirEntry, error) {
	r.stamp(name)
	return fs.ReadDir(r.fsys, name)
}

func (r *recorder) Stat(name string) (fs.FileInfo, error) {
	r.stamp(name)
	return fs.Stat(r.fsys, name)
}

// readListing returns the cached manifest when the cache at path has this key and every entry
// it lists still has its stamp; nil otherwise (no cache, another key, a change, a bad file).
func readListing(root, path, key string, now time.Time) *manifest.Manifest {
	data, err := os.ReadFile(path)
	head := len(listingMagic) + 4
	if err != nil || len(data) < head || string(data[:len(listingMagic)]) != listingMagic ||
		binary.LittleEndian.Uint32(data[len(listingMagic):]) != crc32.Checksum(data[head:], castagnoli) {
		return nil // none, another version, or torn (it is renamed into place, but not synced)
	}
	data = data[head:]
	next := func() (string, bool) {
		n, k := binary.Uvarint(data)
		if k <= 0 || n > uint64(len(data)-k) {
			return "", false
		}
		s := string(data[k : k+int(n)])
		data = data[k+int(n):]
		return s, true
	}
	if got, ok := next(); !ok || got != key {
		return nil
	}
	count, k := binary.Uvarint(data)
	if k <= 0 || count > uint64(len(data)) {
		return nil
	}
	data = data[k:]
	names, stamps := make([]string, count), make([]string, count)
	for i := range names {
		var ok1, ok2 bool
		names[i], ok1 = next()
		stamps[i], ok2 = next()
		if !ok1 || !ok2 {
			return nil
		}
	}
	const batch = 256 // stats per task: 10,000 tiny tasks cost more in scheduling than the stats
	changed := errors.New("changed")
	err = parallel.ForEach((len(names)+batch-1)/batch, func(b int) error {
		for i := b * batch; i < min(len(names), (b+1)*batch); i++ {
			if s := stampOf(root, names[i], now); s == "" || s != stamps[i] {
				return changed
			}
		}
		return nil
	})
	if err != nil {
		return nil
	}
	m, err := manifest.UnmarshalBinary(data)
	if err != nil {
		return nil
	}
	return m
}

func writeListing(path, key string, stamps map[string]string, m *manifest.Manifest) error {
	body, err := m.BinaryParts()
	if err != nil {
		return err
	}
	var b []byte
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str(key)
	b = binary.AppendUvarint(b, uint64(len(stamps)))
	for name, s := range stamps {
		str(name)
		str(s)
	}
	sum := crc32.Checksum(b, castagnoli)
	for _, part := range body {
		sum = crc32.Update(sum, castagnoli, part)
	}
	return osfs.WriteAtomic(path, func(w io.Writer) error {
		var head [len(listingMagic) + 4]byte
		copy(head[:], listingMagic)
		binary.LittleEndian.PutUint32(head[len(listingMagic):], sum)
		for _, part := range append([][]byte{head[:], b}, body...) {
			if _, err := w.Write(part); err != nil {
				return err
			}
		}
		return nil
	})
}
