package tcp_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/dwmhq/dwm/engine/serve/tcp"
)

// rawClient speaks the protocol by hand, to send what no well-behaved client sends.
type rawClient struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return &rawClient{t: t, c: c, br: bufio.NewReader(c)}
}

func (r *rawClient) send(b []byte) {
	r.t.Helper()
	if _, err := r.c.Write(b); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// login sends a hello and the addendum and reads the server's hello.
func (r *rawClient) login() {
	r.t.Helper()
	var b proto.Buffer
	proto.ClientHello{Name: "raw", Major: 1, ProtocolVersion: tcp.Revision, User: "default", Password: password}.Encode(&b)
	b.PutString("") // quota key addendum
	r.send(b.Buf)
	if code := r.code(); code != 0 {
		r.t.Fatalf("hello answered with packet %d: %v", code, r.exception())
	}
	var h proto.ServerHello
	if err := h.DecodeAware(proto.NewReader(r.br), tcp.Revision); err != nil {
		r.t.Fatal(err)
	}
}

// query sends a query packet; compressed says whether its data blocks are compressed.
func (r *rawClient) query(body string, compressed bool) {
	var b proto.Buffer
	q := proto.Query{Body: body, Stage: proto.StageComplete, Info: proto.ClientInfo{ProtocolVersion: tcp.Revision,
		Interface: proto.InterfaceTCP, Query: proto.ClientQueryInitial}}
	if compressed {
		q.Compression = proto.CompressionEnabled
	}
	q.EncodeAware(&b, tcp.Revision)
	r.send(b.Buf)
}

func (r *rawClient) code() uint64 {
	r.t.Helper()
	v, err := binary.ReadUvarint(r.br)
	if err != nil {
		r.t.Fatalf("read packet: %v", err)
	}
	return v
}

// exception reads an Exception packet's body.
func (r *rawClient) exception() *proto.Exception {
	r.t.Helper()
	var e proto.Exception
	if err := e.DecodeAware(proto.NewReader(r.br), tcp.Revision); err != nil {
		r.t.Fatal(err)
	}
	return &e
}

// expectException reads the next packet, which must be an exception with code.
func (r *rawClient) expectException(code int) {
	r.t.Helper()
	if c := r.code(); c != 2 {
		r.t.Fatalf("got packet %d, want an exception", c)
	}
	if e := r.exception(); int(e.Code) != code {
		r.t.Fatalf("exception %d %s, want code %d", e.Code, e.Message, code)
	}
}

// closed waits for the server to close the connection.
func (r *rawClient) closed() {
	r.t.Helper()
	_, err := io.Copy(io.Discard, r.br)
	if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		r.t.Fatalf("want the server to close the connection, got %v", err)
	}
}

func TestHostileClients(t *testing.T) {
	srv, addr, db := start(t, tcp.Options{HandshakeTimeout: 300 * time.Millisecond, MaxBlockBytes: 1 << 20})

	t.Run("hello claiming a huge string", func(t *testing.T) {
		r := dialRaw(t, addr)
		b := []byte{0}
		b = binary.AppendUvarint(b, 1<<40) // client name length, then nothing
		r.send(append(b, "x"...))
		r.expectException(101)
		r.closed()
	})
	t.Run("client too old", func(t *testing.T) {
		r := dialRaw(t, addr)
		var b proto.Buffer
		proto.ClientHello{Name: "old", ProtocolVersion: 54400, User: "default", Password: password}.Encode(&b)
		r.send(b.Buf)
		r.expectException(48)
		r.closed()
	})
	t.Run("silent client", func(t *testing.T) {
		r := dialRaw(t, addr)
		begin := time.Now()
		r.closed()
		if d := time.Since(begin); d > 5*time.Second {
			t.Errorf("closed after %v", d)
		}
	})
	t.Run("HTTP on the TCP port", func(t *testing.T) {
		r := dialRaw(t, addr)
		r.send([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		line, _ := r.br.ReadString('\n')
		if !strings.HasPrefix(line, "HTTP/1.0 400") {
			t.Errorf("answer %q", line)
		}
	})
	t.Run("unknown packet", func(t *testing.T) {
		r := dialRaw(t, addr)
		r.login()
		r.send([]byte{77})
		r.expectException(101)
		r.closed()
	})
	t.Run("corrupted compressed block", func(t *testing.T) {
		r := dialRaw(t, addr)
		r.login()
		r.query("SELECT 1", true)
		frame := make([]byte, 16+9+4) // a zero checksum never matches
		frame[16] = 0x02              // no compression
		binary.LittleEndian.PutUint32(frame[17:], 9+4)
		binary.LittleEndian.PutUint32(frame[21:], 4)
		r.send(append([]byte{2, 0}, frame...)) // data packet, no table name, the frame
		r.expectException(40)
		r.closed()
	})
	t.Run("frame claiming a gigabyte", func(t *testing.T) {
		r := dialRaw(t, addr)
		r.login()
		r.query("SELECT 1", true)
		frame := make([]byte, 16+9)
		frame[16] = 0x82
		binary.LittleEndian.PutUint32(frame[17:], 1<<30)
		binary.LittleEndian.PutUint32(frame[21:], 1<<30)
		r.send(append([]byte{2, 0}, frame...))
		r.expectException(101)
		r.closed()
	})
	t.Run("block over the limit", func(t *testing.T) {
		conn := open(t, addr, db, nil)
		ctx := context.Background()
		if err := conn.Exec(ctx, "CREATE TABLE big (s String) ENGINE = Memory"); err != nil {
			t.Fatal(err)
		}
		batch, err := conn.PrepareBatch(ctx, "INSERT INTO big")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3000; i++ {
			_ = batch.Append(strings.Repeat("x", 1000)) // 3 MB in one block
		}
		if err := batch.Send(); err == nil {
			t.Fatal("a block over MaxBlockBytes was accepted")
		}
	})
	t.Run("stage other than complete", func(t *testing.T) {
		r := dialRaw(t, addr)
		r.login()
		var b proto.Buffer
		q := proto.Query{Body: "SELECT 1", Info: proto.ClientInfo{ProtocolVersion: tcp.Revision,
			Interface: proto.InterfaceTCP, Query: proto.ClientQueryInitial}}
		q.EncodeAware(&b, tcp.Revision)
		// ch-go always writes stage Complete (2), then compression and the body: make it FetchColumns.
		i := strings.Index(string(b.Buf), "\x02\x00\x08SELECT 1")
		if i < 0 {
			t.Fatal("query layout changed")
		}
		b.Buf[i] = 1
		b.PutByte(2) // the data packet that ends a query: no table name, an empty block
		b.PutString("")
		b.Buf = append(b.Buf, 1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0)
		r.send(b.Buf)
		r.expectException(48)
		// The connection goes on.
		r.send([]byte{4})
		if c := r.code(); c != 4 {
			t.Errorf("ping answered with %d", c)
		}
	})
	// Whatever the clients did, the server holds no client data afterwards and still serves.
	deadline := time.Now().Add(10 * time.Second)
	for srv.Buffered() != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := srv.Buffered(); n != 0 {
		t.Errorf("%d bytes of client data still held", n)
	}
	conn := open(t, addr, db, nil)
	var one uint8
	if err := conn.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil {
		t.Errorf("after the hostile clients: %v", err)
	}
}

// TestTooManyConnections: connections over the limit are told why and closed; the others go on.
func TestTooManyConnections(t *testing.T) {
	_, addr, db := start(t, tcp.Options{MaxConnections: 2})
	a := open(t, addr, db, nil)
	b := open(t, addr, db, nil)
	extra, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, Auth: clickhouse.Auth{Password: password}})
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	var ex *clickhouse.Exception
	if err := extra.Ping(context.Background()); !errors.As(err, &ex) || ex.Code != 202 || !strings.Contains(ex.Message, "too many connections") {
		t.Errorf("third connection: %v", err)
	}
	for _, c := range []clickhouse.Conn{a, b} {
		if err := c.Ping(context.Background()); err != nil {
			t.Errorf("open connection: %v", err)
		}
	}
}
