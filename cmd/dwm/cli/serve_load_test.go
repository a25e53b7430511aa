package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServeLoad sends 2,000 requests from 50 concurrent clients to one `dwm serve`: inserts,
// parameterised reads whose answers identify the request, session reads, and errors. No insert
// may be lost, no request may get another's answer, and the server's memory must stay flat
// (RSS after the second half of the run within 25% + 64 MB of after the first half). The numbers
// go to the test log; docs/serve.md quotes a run.
func TestServeLoad(t *testing.T) {
	const clients, perClient = 50, 40
	env := serveEnv(t)
	srv := startServe(t, env, "--path", filepath.Join(t.TempDir(), "data"), "--max-queries", "64", "--max-queries-per-user", "64")
	if st, code, body := srv.query(t, "default", "", "CREATE TABLE load (client UInt32, seq UInt32, payload String) ENGINE = MergeTree ORDER BY (client, seq)", nil, nil); st != 200 {
		t.Fatalf("create: %d %s %s", st, code, body)
	}
	httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	send := func(sql string, params url.Values, body io.Reader) (int, string, string, error) {
		p := url.Values{"query": {sql}}
		for k, v := range params {
			p[k] = v
		}
		res, err := httpc.Post(srv.base+"/?"+p.Encode(), "text/plain", body)
		if err != nil {
			return 0, "", "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("X-ClickHouse-Exception-Code"), string(b), err
	}

	var (
		mu        sync.Mutex
		latencies []time.Duration
		inserted  int
		problems  []string
	)
	round := func(from, to int) {
		var wg sync.WaitGroup
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := from; i < to; i++ {
					start := time.Now()
					var st int
					var code, body, want string
					var err error
					switch i % 5 {
					case 0, 1:
						st, code, body, err = send("INSERT INTO load FORMAT TSV", nil, strings.NewReader(fmt.Sprintf("%d\t%d\tp-%d-%d\n", c, i, c, i)))
					case 2:
						st, code, body, err = send("SELECT {c:UInt32} * 1000 + {i:UInt32}, {tag:String}", url.Values{"param_c": {strconv.Itoa(c)}, "param_i": {strconv.Itoa(i)}, "param_tag": {fmt.Sprintf("t%d-%d", c, i)}}, nil)
						want = fmt.Sprintf("%d\tt%d-%d\n", c*1000+i, c, i)
					case 3:
						id := url.Values{"session_id": {"load-" + strconv.Itoa(c)}}
						st, code, body, err = send(fmt.Sprintf("SELECT count() >= 0, %d", c*1000+i), id, nil)
						want = fmt.Sprintf("1\t%d\n", c*1000+i)
					case 4:
						st, code, body, err = send(fmt.Sprintf("SELECT * FROM missing_%d_%d", c, i), nil, nil)
					}
					d := time.Since(start)
					mu.Lock()
					latencies = append(latencies, d)
					switch {
					case err != nil:
						problems = append(problems, fmt.Sprintf("client %d request %d: %v", c, i, err))
					case i%5 <= 1 && (st != 200 || body != ""):
						problems = append(problems, fmt.Sprintf("client %d insert %d: %d %s %q", c, i, st, code, body))
					case i%5 <= 1:
						inserted++
					case i%5 <= 3 && (st != 200 || body != want):
						problems = append(problems, fmt.Sprintf("client %d read %d: %d %s %q, want %q", c, i, st, code, body, want))
					case i%5 == 4 && (code != "60" || !strings.Contains(body, fmt.Sprintf("missing_%d_%d", c, i))):
						problems = append(problems, fmt.Sprintf("client %d error %d: %d %s %q", c, i, st, code, body))
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	start := time.Now()
	round(0, perClient/2)
	half := srv.memKB("VmRSS")
	round(perClient/2, perClient)
	elapsed := time.Since(start)
	end := srv.memKB("VmRSS")
	for _, p := range problems[:min(len(problems), 20)] {
		t.Error(p)
	}
	_, _, counts := srv.query(t, "default", "", "SELECT count(), uniqExact(client, seq), countIf(payload = concat('p-', toString(client), '-', toString(seq))) FROM load", nil, nil)
	if want := fmt.Sprintf("%d\t%d\t%d\n", inserted, inserted, inserted); counts != want || inserted != clients*perClient*2/5 {
		t.Errorf("rows, distinct keys, intact payloads = %q; %d inserts answered OK, want %d", counts, inserted, clients*perClient*2/5)
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	n := len(latencies)
	t.Logf("%d requests from %d clients in %v (%.0f/s); latency p50 %v p99 %v max %v; RSS %d MB after half, %d MB at the end",
		n, clients, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), latencies[n/2].Round(time.Millisecond),
		latencies[n*99/100].Round(time.Millisecond), latencies[n-1].Round(time.Millisecond), half>>10, end>>10)
	if end > half+half/4+64<<10 {
		t.Errorf("memory grew from %d MB to %d MB over the second half", half>>10, end>>10)
	}
}
