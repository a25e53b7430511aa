package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// e2ePassword protects the test's dwm serve; targets read it from DWM_E2E_PASSWORD.
const e2ePassword = "cdc-tools-e2e"

// cdcToolSizes keep the CDC-tool runs small: a few hundred users.
var cdcToolSizes = []string{"--initial-users", "200", "--weekly-signups", "40"}

// TestCDCToolTables feeds the leagues warehouse from a CDC tool's tables on a ClickHouse server
// (`dwm serve` in its own process): `dwm generate --sink` plays PeerDB and Debezium, each week is
// built from their tables, and every model's `dwm checksum` must equal a build of the same weeks
// from the generator's files. Each week is then delivered a second time (same cursors, as a
// retried sync or a restarted Kafka consumer would), which must change nothing. Finally a row
// arrives behind the cursor: it is quarantined with a reason, once.
//
// To stay fast, weeks 1-3 run the models (dwm run) and week 4 builds them with every test; the
// second delivery of a week runs the models that read the tools' tables.
//
// The checksums leave out the columns that name how a row arrived rather than what it says:
// inserted_at (load time), _file and _row (the file path), _offset (the Kafka path) and
// source_system (the staging model or the tool's table).
func TestCDCToolTables(t *testing.T) {
	t.Parallel()
	const weeks = 4
	ref := copyProject(t)
	want := make([]map[string]string, weeks+1)
	for w := 1; w <= weeks; w++ {
		generateWeek(t, ref, w)
		mustDwm(t, ref, "run")
		want[w] = toolChecksums(t, ref)
	}

	port := startServe(t, t.TempDir(), "0", []string{"DWM_SERVE_PASSWORD=" + e2ePassword}).port
	for _, format := range []string{"peerdb", "debezium"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			dir := cdcToolsProject(t, port, format)
			for w := 1; w <= weeks; w++ {
				generateWeek(t, dir, w, "--sink", "server", "--cdc-format", format)
				cmd := "run"
				if w == weeks {
					cmd = "build"
				}
				onServer(t, dir, format, 0, cmd)
				got := toolChecksums(t, dir, "--target", "server")
				compareToFiles(t, w, want[w], got)
				// The tool delivers the week again: same rows, same cursors.
				generateWeek(t, dir, w, "--sink", "server", "--cdc-format", format)
				out := onServer(t, dir, format, 0, "run", "-s", "tag:history event_stream")
				if !strings.Contains(out, "OK scd2 model duolingo_"+format+".users ") || !strings.Contains(out, "[0 rows, 0 loaded") {
					t.Errorf("week %d delivered again: the run did not read it:\n%s", w, tail(out, 40))
				}
				if d := diffSums(got, toolChecksums(t, dir, "--target", "server")); len(d) > 0 {
					t.Fatalf("week %d delivered twice changed the warehouse:\n%s", w, strings.Join(d, "\n"))
				}
			}
			lateRow(t, dir, port, e2ePassword, format)
		})
	}
}

// generateWeek writes week w of the shared generator settings into dir's data/cdc.
func generateWeek(t *testing.T, dir string, w int, extra ...string) {
	t.Helper()
	args := append([]string{"generate", "--weeks", "4", "--week", strconv.Itoa(w), "-q", "--out", "data/cdc"}, cdcToolSizes...)
	args = append(args, extra...)
	if r := dwm(t, dir, []string{"DWM_E2E_PASSWORD=" + e2ePassword}, args...); r.code != 0 {
		t.Fatalf("dwm %s: exit %d\n%s\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
}

// onServer runs a dwm command of the CDC-tool project on the server, requires exit code code,
// and returns its output.
func onServer(t *testing.T, dir, format string, code int, args ...string) string {
	t.Helper()
	args = append(args, "--target", "server", "--vars", "{cdc_tool: "+format+"}")
	r := dwm(t, dir, []string{"DWM_E2E_PASSWORD=" + e2ePassword}, args...)
	if r.code != code {
		t.Fatalf("dwm %s: exit %d, want %d\n%s\n%s", strings.Join(args, " "), r.code, code, tail(r.stdout, 60), r.stderr)
	}
	return r.stdout
}

// toolChecksums is `dwm checksum` without the columns that say how rows arrived.
func toolChecksums(t *testing.T, dir string, args ...string) map[string]string {
	t.Helper()
	r := dwm(t, dir, []string{"DWM_E2E_PASSWORD=" + e2ePassword},
		append([]string{"checksum", "--ignore-columns", "inserted_at,_file,_row,_offset,source_system"}, args...)...)
	if r.code != 0 {
		t.Fatalf("dwm checksum: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 3 {
			out[f[0]] = f[1] + " " + f[2]
		}
	}
	return out
}

// compareToFiles requires the CDC-tool build to hold every model of the file-fed build except
// the staging models, each with the same checksum, and nothing else.
func compareToFiles(t *testing.T, week int, files, tools map[string]string) {
	t.Helper()
	var diffs []string
	compared := 0
	for name, sum := range files {
		if strings.HasSuffix(name, "_staging") {
			continue
		}
		compared++
		if tools[name] != sum {
			diffs = append(diffs, fmt.Sprintf("%s: tools %q, files %q", name, tools[name], sum))
		}
	}
	if compared < 14 || len(tools) != compared {
		diffs = append(diffs, fmt.Sprintf("the file build has %d models besides staging, the tools build %d", compared, len(tools)))
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Fatalf("week %d: the CDC-tool build differs from the file build:\n%s", week, strings.Join(diffs, "\n"))
	}
}

// cdcToolsProject assembles the example project for the tool's tables as
// scripts/cdc-tools-project.sh does, with a target on the server.
func cdcToolsProject(t *testing.T, port, format string) string {
	t.Helper()
	dir := copyProject(t)
	if err := os.RemoveAll(filepath.Join(dir, "models", "staging")); err != nil {
		t.Fatal(err)
	}
	if err := copyTree(filepath.Join(repoRoot(t), "examples", "cdc-tools"), dir); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "project.yml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	target := "  server: {type: clickhouse, protocol: http, host: 127.0.0.1, port: " + port +
		", password: '{{ env_var \"DWM_E2E_PASSWORD\" }}', database: duolingo_" + format + "}\n"
	s := strings.Replace(string(b), "targets:\n", "targets:\n"+target, 1)
	if s == string(b) {
		t.Fatal("project.yml has no targets: block")
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// lateRow writes a users change behind the committed cursor into the tool's table: the next build
// quarantines it with its cursor and a reason, the one after leaves it alone. Literal values only:
// the sandboxed dwm serve does not evaluate expressions in VALUES.
func lateRow(t *testing.T, dir, port, password, format string) {
	t.Helper()
	row := "(1, 'late', 'late@example.com', 'DE', 'Berlin', 'female', NULL, 'free', '2024-01-01', 1, false, '2026-03-01 00:00:00', '2026-03-01 00:00:00.000000000', 0, 5)"
	cursor := "_peerdb_version"
	if format == "debezium" {
		row = "(1, 'late', 'late@example.com', 'DE', 'Berlin', 'female', NULL, 'free', '2024-01-01', 1, false, '2026-03-01 00:00:00'," +
			" 'u', 1772323200000, 1772323200000, 'false', 'duolingo.public.users', 0, 5, '2026-03-01 00:00:00.000')"
		cursor = "_offset"
	}
	query(t, port, password, "INSERT INTO "+format+".users VALUES "+row)
	out := onServer(t, dir, format, 0, "run", "-s", "users")
	if !regexp.MustCompile(`OK scd2 model duolingo_` + format + `\.users .*1 batches, 0 new versions, 1 changes quarantined`).MatchString(out) {
		t.Errorf("run after a row behind the cursor:\n%s", tail(out, 20))
	}
	got := query(t, port, password, "SELECT username, "+cursor+", reason FROM duolingo_"+format+".users__quarantine FORMAT TSV")
	want := "late\t5\t" + cursor + " 5 is at or below "
	if !strings.HasPrefix(got, want) || !strings.Contains(got, "the cursor committed before it arrived") || strings.Count(got, "\n") != 1 {
		t.Errorf("quarantine = %q, want one row starting %q", got, want)
	}
	if out := onServer(t, dir, format, 0, "run", "-s", "users"); !strings.Contains(out, "no new changes") {
		t.Errorf("the run after that:\n%s", tail(out, 20))
	}
	if again := query(t, port, password, "SELECT count() FROM duolingo_"+format+".users__quarantine FORMAT TSV"); again != "1\n" {
		t.Errorf("quarantined again: %q rows", again)
	}
}

func query(t *testing.T, port, password, sql string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:"+port+"/?"+url.Values{"query": {sql}}.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("default", password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %d: %s", sql, resp.StatusCode, b)
	}
	return string(b)
}
