package serve

import (
	"bufio"
	"io"

	"github.com/dwmhq/dwm/engine/serve/nativefmt"
)

// errUnsupportedType marks a column type reencodeNative cannot measure.
var errUnsupportedType = nativefmt.ErrUnsupportedType

// reencodeNative rewrites the Native format libchdb writes (protocol revision 0, as for a
// FORMAT Native file) into the layout a ClickHouse server writes over HTTP for a client that
// sent client_protocol_version=revision (see nativefmt): a block-info header before each block
// and, from 54454 on, a zero "custom serialization" byte after each column's type. clickhouse-go
// always asks for the latter and decodes nothing else. It streams: column data passes from in to
// out as it is measured, never a whole block in memory.
func reencodeNative(in io.Reader, out io.Writer, revision uint64) error {
	bw := bufio.NewWriterSize(out, 64<<10)
	if err := (nativefmt.Transcoder{To: revision}).Copy(bw, bufio.NewReaderSize(in, 64<<10)); err != nil {
		return err
	}
	return bw.Flush()
}
