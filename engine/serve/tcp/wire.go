package tcp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/dwmhq/dwm/engine/chsql"
)

// Protocol revisions (ClickHouse's DBMS_MIN_REVISION_* and DBMS_MIN_PROTOCOL_VERSION_*) that
// change what this server reads or writes.
const (
	revServerTimezone        = 54058
	revQuotaKeyInInfo        = 54060
	revDisplayName           = 54372
	revVersionPatch          = 54401
	revClientWriteInfo       = 54420
	revSettingsAsStrings     = 54429
	revInterserverSecret     = 54441
	revOpenTelemetry         = 54442
	revForwardedFor          = 54443
	revReferer               = 54447
	revDistributedDepth      = 54448
	revQueryStartTime        = 54449
	revParallelReplicas      = 54453
	revProfileEventsInInsert = 54456
	revAddendum              = 54458
	revParameters            = 54459
	revServerTimeProgress    = 54460

	// Revision is what this server speaks: clickhouse-go 2.51's own (54460), the one ch-go
	// implements. Clients with a higher revision (clickhouse-driver's 54468) step down to it.
	Revision = revServerTimeProgress
	// minRevision is the oldest client accepted: settings travel as strings from it on.
	minRevision = revSettingsAsStrings
)

// Client packet codes.
const (
	clientHello  = 0
	clientQuery  = 1
	clientData   = 2
	clientCancel = 3
	clientPing   = 4
)

// Server packet codes.
const (
	serverHello       = 0
	serverData        = 1
	serverException   = 2
	serverProgress    = 3
	serverPong        = 4
	serverEndOfStream = 5
	// serverProfileInfo (6) is written by ch-go's proto.Profile itself.
	serverProfileEvents = 14
)

// Stage and interface values in a query packet.
const (
	stageComplete = 2
	interfaceTCP  = 1
	interfaceHTTP = 2
)

// errProtocol marks a client that broke the protocol; the connection cannot continue.
var errProtocol = errors.New("protocol error")

func protocolError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errProtocol, fmt.Sprintf(format, args...))
}

// packetReader decodes a client's packets from the socket. Every string is bounded, so a client
// cannot make the server allocate what it only claims to send.
type packetReader struct {
	r   *bufio.Reader
	err error
}

func (p *packetReader) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

func (p *packetReader) uvarint() uint64 {
	if p.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(p.r)
	if err != nil {
		p.fail(err)
	}
	return v
}

func (p *packetReader) byte() byte {
	if p.err != nil {
		return 0
	}
	b, err := p.r.ReadByte()
	if err != nil {
		p.fail(err)
	}
	return b
}

func (p *packetReader) skip(n int) {
	if p.err != nil {
		return
	}
	if _, err := p.r.Discard(n); err != nil {
		p.fail(err)
	}
}

// str reads a string of at most max bytes; what is longer fails before it is read.
func (p *packetReader) str(what string, max int) string {
	n := p.uvarint()
	if p.err != nil {
		return ""
	}
	if n > uint64(max) {
		p.fail(protocolError("%s of %d bytes exceeds the limit of %d", what, n, max))
		return ""
	}
	b := make([]byte, 0, min(int(n), 64<<10))
	for len(b) < int(n) {
		step := min(int(n)-len(b), 64<<10)
		start := len(b)
		b = append(b, make([]byte, step)...)
		if _, err := io.ReadFull(p.r, b[start:]); err != nil {
			p.fail(err)
			return ""
		}
	}
	return string(b)
}

// Limits on what a hello and a query packet may hold besides the query text.
const (
	maxName     = 1 << 10
	maxPassword = 1 << 12
	maxValue    = 1 << 20
	maxSettings = 1 << 12
)

// hello is a client's ClientHello.
type hello struct {
	client                string
	major, minor          uint64
	revision              uint64
	database, user, passw string
}

func (p *packetReader) hello() hello {
	h := hello{client: p.str("client name", maxName), major: p.uvarint(), minor: p.uvarint(), revision: p.uvarint()}
	h.database = p.str("database", maxName)
	h.user = p.str("user", maxName)
	h.passw = p.str("password", maxPassword)
	return h
}

// query is a client's Query packet.
type query struct {
	id         string
	settings   map[string]string
	params     map[string]string
	secret     string
	stage      uint64
	compressed bool
	body       string
}

func (p *packetReader) query(rev uint64, maxQuery int) query {
	q := query{id: p.str("query id", maxName)}
	if rev >= revClientWriteInfo {
		p.clientInfo(rev)
	}
	q.settings = p.settingList(rev, "setting")
	if rev >= revInterserverSecret {
		q.secret = p.str("inter-server secret", maxName)
	}
	q.stage = p.uvarint()
	q.compressed = p.uvarint() != 0
	q.body = p.str("query", maxQuery)
	if rev >= revParameters {
		q.params = p.settingList(rev, "parameter")
		for k, v := range q.params {
			q.params[k] = unquoteField(v)
		}
	}
	return q
}

// settingList reads name/flags/value triples up to an empty name. Custom settings (and every
// parameter) carry their value as a quoted field dump, which is unquoted here.
func (p *packetReader) settingList(rev uint64, what string) map[string]string {
	out := map[string]string{}
	for i := 0; p.err == nil; i++ {
		key := p.str(what+" name", maxName)
		if key == "" || p.err != nil {
			break
		}
		if i >= maxSettings {
			p.fail(protocolError("more than %d %ss", maxSettings, what))
			break
		}
		flags := p.uvarint()
		v := p.str(what+" "+key, maxValue)
		if flags&settingCustom != 0 && what == "setting" {
			v = unquoteField(v)
		}
		out[key] = v
	}
	return out
}

// settingCustom is the flag of a setting the server does not know by name.
const settingCustom = 0x02

// clientInfo reads and discards the client info of a query: nothing in it changes what the
// server does, but its fields must be consumed to find the settings after it.
func (p *packetReader) clientInfo(rev uint64) {
	if p.byte() == 0 { // query kind NO_QUERY: nothing follows
		return
	}
	for _, what := range []string{"initial user", "initial query id", "initial address"} {
		p.str(what, maxName)
	}
	if rev >= revQueryStartTime {
		p.skip(8)
	}
	iface := p.byte()
	switch iface {
	case interfaceTCP:
		for _, what := range []string{"os user", "client hostname", "client name"} {
			p.str(what, maxName)
		}
		p.uvarint() // major
		p.uvarint() // minor
		p.uvarint() // protocol version
	case interfaceHTTP:
		p.byte() // method
		p.str("user agent", maxName)
		if rev >= revForwardedFor {
			p.str("forwarded for", maxName)
		}
		if rev >= revReferer {
			p.str("referer", maxName)
		}
	default:
		p.fail(protocolError("unknown client interface %d", iface))
	}
	if rev >= revQuotaKeyInInfo {
		p.str("quota key", maxName)
	}
	if rev >= revDistributedDepth {
		p.uvarint()
	}
	if rev >= revVersionPatch && iface == interfaceTCP {
		p.uvarint()
	}
	if rev >= revOpenTelemetry && p.byte() == 1 {
		p.skip(16 + 8) // trace id, span id
		p.str("trace state", maxName)
		p.byte()
	}
	if rev >= revParallelReplicas {
		p.uvarint()
		p.uvarint()
		p.uvarint()
	}
}

// unquoteField reads a string field dump as clients send parameters: 'text' with backslash
// escapes, undone as ClickHouse's parser does (chsql). Anything else (a number) is returned as is.
func unquoteField(s string) string {
	if len(s) < 2 || s[0] != '\'' {
		return s
	}
	t, ok, err := chsql.NewLexer(s).Next()
	if err != nil || !ok || t.Kind != chsql.String || t.End != len(s) {
		return s
	}
	return chsql.StringValue(s, t)
}
