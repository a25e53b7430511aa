package serve

import (
	"bytes"
	"errors"
	"io"

	"github.com/dwmhq/dwm/engine/serve/nativefmt"
)

// errUnsupportedType marks a column type reencodeNative cannot measure.
var errUnsupportedType = nativefmt.ErrUnsupportedType

// reencodeNative rewrites the Native format libchdb writes (protocol revision 0, as for a
// FORMAT Native file) into the layout a ClickHouse server writes over HTTP for a client that
// sent client_protocol_version=revision (see nativefmt). clickhouse-go always asks for 54454 or
// later and decodes nothing else.
func reencodeNative(in []byte, revision uint64) ([]byte, error) {
	if revision == 0 {
		return in, nil
	}
	out := make([]byte, 0, len(in)+len(in)/64+64)
	src := bytes.NewReader(in)
	tr := nativefmt.Transcoder{From: 0, To: revision}
	for {
		var err error
		out, _, err = tr.Block(out, src)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
