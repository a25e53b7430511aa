package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
)

// summaryKey carries a statement's *progress in its context down to the HTTP transport.
type summaryKey struct{}

// summaryTransport reads X-ClickHouse-Summary, the row counts a ClickHouse server (and dwm serve)
// put in the headers of every HTTP answer. clickhouse-go reports progress only over the native
// protocol, so without this an INSERT over HTTP would count 0 rows in dwm's run results.
type summaryTransport struct{ next http.RoundTripper }

func (t summaryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(req)
	if err != nil {
		return res, err
	}
	if p, ok := req.Context().Value(summaryKey{}).(*progress); ok {
		if h := res.Header.Get("X-ClickHouse-Summary"); h != "" {
			p.addSummary(h)
		}
	}
	return res, nil
}

// addSummary records the counts; ClickHouse sends them as JSON strings ("read_rows":"10").
func (p *progress) addSummary(header string) {
	var s struct {
		ReadRows    string `json:"read_rows"`
		WrittenRows string `json:"written_rows"`
	}
	if json.Unmarshal([]byte(header), &s) != nil {
		return // a summary is a nicety; a malformed one is not worth failing a statement
	}
	read, _ := strconv.ParseUint(s.ReadRows, 10, 64)
	wrote, _ := strconv.ParseUint(s.WrittenRows, 10, 64)
	p.mu.Lock()
	p.read += read
	p.wrote += wrote
	p.mu.Unlock()
}

func withSummary(ctx context.Context, p *progress) context.Context {
	return context.WithValue(ctx, summaryKey{}, p)
}
