package cdc

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/dwmhq/dwm/engine/objstore"
	"github.com/dwmhq/dwm/engine/warehouse"
)

// listObjects lists the objects matching the s3:// glob p, in path order, with the ETag and size
// that fingerprint them. The listing reads no data (format One), and it runs where the reads
// will run: on the target, with the target's access to the store.
func listObjects(ctx context.Context, wh warehouse.Warehouse, store *objstore.Store, p string) ([]File, error) {
	loc, err := objstore.Parse(p)
	if err != nil {
		return nil, err
	}
	res, err := wh.Query(ctx, store.ListSQL(loc))
	if err != nil {
		return nil, fmt.Errorf("list %s at %s: %w", loc, store.Endpoint(), err)
	}
	out := make([]File, 0, len(res.Rows))
	for i := range res.Rows {
		path := res.String(i, 0) // bucket/key
		bucket, key, ok := strings.Cut(path, "/")
		if !ok || bucket != loc.Bucket {
			return nil, fmt.Errorf("list %s: unexpected object path %q", loc, path)
		}
		size, err := strconv.ParseUint(res.String(i, 2), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("list %s: size of %s: %w", loc, path, err)
		}
		obj := objstore.Location{Bucket: bucket, Key: key}
		out = append(out, File{Path: obj.String(), Object: &obj, ETag: res.String(i, 1), Size: size})
	}
	return out, nil
}

// objectHeader reads the header row of a CSV object through the target.
func objectHeader(ctx context.Context, wh warehouse.Warehouse, store *objstore.Store, f File, delim rune) ([]string, error) {
	res, err := wh.Query(ctx, store.FirstLineSQL(*f.Object))
	if err != nil {
		return nil, fmt.Errorf("%s: read header: %w", f.Path, err)
	}
	if len(res.Rows) == 0 {
		return parseHeader(strings.NewReader(""), f.Path, delim)
	}
	return parseHeader(strings.NewReader(res.String(0, 0)), f.Path, delim)
}
