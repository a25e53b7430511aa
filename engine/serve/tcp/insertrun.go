package tcp

import (
	"context"
	"io"
	"time"

	"github.com/ClickHouse/ch-go/proto"

	"github.com/dwmhq/dwm/engine/serve/nativefmt"
)

// insert answers an INSERT whose data follows as blocks: the table's columns as an empty block,
// then the client's blocks go to the engine one at a time until the empty block that ends them.
func (c *conn) insert(ctx context.Context, s *statement, ins Insert) error {
	cols, err := c.sess.InsertColumns(ctx, ins)
	if err != nil {
		return c.fail(err, s.st.QueryID)
	}
	if err := c.writeData(s, nativefmt.AppendHeader(nil, c.rev, cols)); err != nil {
		return err
	}
	if err := c.flush(); err != nil {
		return err
	}
	in := &insertInput{c: c, s: s}
	defer func() { c.acct.give(in.charge) }()
	stats, err := c.sess.Insert(ctx, ins, in)
	if in.broken != nil {
		return c.fatal(in.broken) // the stream is out of step: this connection cannot go on
	}
	if !in.ended && !in.cancelled {
		// The engine stopped early (a bad row); read the rest so the connection stays in step.
		for in.broken == nil && !in.ended && !in.cancelled {
			_, _ = in.next()
		}
		if in.broken != nil {
			return c.fatal(in.broken)
		}
	}
	switch {
	case in.cancelled:
		return c.send(append(c.out[:0], serverEndOfStream))
	case err != nil:
		return c.fail(err, s.st.QueryID)
	}
	b := progressPacket(c.out[:0], c.rev, proto.Progress{WroteRows: stats.RowsWritten, ElapsedNs: uint64(time.Since(s.start).Nanoseconds())})
	return c.send(append(b, serverEndOfStream))
}

// insertInput hands the engine the client's blocks one at a time, as one byte stream; each
// block's buffer is reused and its budget returned when the next one is read.
type insertInput struct {
	c         *conn
	s         *statement
	buf       []byte
	rest      []byte // what Read has not handed out of the current block
	charge    int
	ended     bool  // the empty block arrived
	cancelled bool  // the client sent Cancel
	broken    error // reading failed; the connection must close
}

// Read reads the client's blocks as one stream, until the empty block that ends them (io.EOF).
func (in *insertInput) Read(p []byte) (int, error) {
	for len(in.rest) == 0 {
		b, err := in.next()
		if err != nil {
			return 0, err
		}
		in.rest = b
	}
	n := copy(p, in.rest)
	in.rest = in.rest[n:]
	return n, nil
}

func (in *insertInput) next() ([]byte, error) {
	c := in.c
	c.acct.give(in.charge)
	in.charge = 0
	for {
		switch {
		case in.broken != nil:
			return nil, in.broken
		case in.cancelled:
			return nil, context.Canceled
		case in.ended:
			return nil, io.EOF
		}
		code, err := c.readCode()
		if err != nil {
			in.broken = err
			continue
		}
		switch code {
		case clientData:
			var b nativefmt.Block
			in.buf, b, in.charge, err = c.readData(in.s.compressed, in.buf)
			if err == nil && c.rev >= revProfileEventsInInsert {
				// clickhouse-driver waits for these after each block before it sends the next.
				err = c.send(profileEventsPacket(c.out[:0], c.rev))
			}
			switch {
			case err != nil:
				in.broken = err
			case len(b.Columns) == 0:
				in.ended = true
			case b.Rows > 0:
				return in.buf, nil
			}
		case clientCancel:
			in.cancelled = true
		default:
			in.broken = protocolError("packet %d while receiving insert data", code)
		}
	}
}

// profileEventsColumns are the columns of ClickHouse's ProfileEvents blocks.
var profileEventsColumns = []nativefmt.Column{
	{Name: "host_name", Type: "String"}, {Name: "current_time", Type: "DateTime"}, {Name: "thread_id", Type: "UInt64"},
	{Name: "type", Type: "Int8"}, {Name: "name", Type: "String"}, {Name: "value", Type: "Int64"},
}

// profileEventsPacket is a ProfileEvents packet without events. ClickHouse sends these
// uncompressed, whatever the query's compression.
func profileEventsPacket(b []byte, rev uint64) []byte {
	b = append(b, serverProfileEvents, 0) // an empty table name
	return nativefmt.AppendHeader(b, rev, profileEventsColumns)
}
