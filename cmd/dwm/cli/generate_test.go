package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runDWM(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestGenerateWritesWeeks(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runDWM(t, "generate", "--weeks", "2", "--initial-users", "150", "--weekly-signups", "20",
		"--seed", "7", "--out", dir, "--dup-rate", "0")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "2 week(s)") || !strings.Contains(errOut, "wrote w002") {
		t.Errorf("unexpected output %q / progress %q", out, errOut)
	}
	for _, f := range []string{"w000/ligue_tiers.csv", "w000/manifest.json", "w001/users.csv", "w002/event_stream.csv", "w002/manifest.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	m, err := os.ReadFile(filepath.Join(dir, "w002", "manifest.json"))
	if err != nil || !strings.Contains(string(m), `"seed": 7`) || !strings.Contains(string(m), `"dup_rate": 0,`) {
		t.Errorf("manifest does not record the flags: %v\n%s", err, m)
	}
}

func TestGenerateSingleWeekQuiet(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := runDWM(t, "generate", "--weeks", "3", "--week", "2", "-q", "--initial-users", "100", "--weekly-signups", "10", "--out", dir)
	if code != ExitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "w000,w002" {
		t.Errorf("wrote %v, want w000 and w002 only", names)
	}
}

func TestGenerateBadFlags(t *testing.T) {
	cases := map[string][]string{
		"not a monday":   {"--start", "2026-01-06"},
		"not a date":     {"--start", "soon"},
		"zero weeks":     {"--weeks", "0"},
		"week too large": {"--weeks", "2", "--week", "3"},
		"negative rate":  {"--late-rate", "-0.1"},
		"rate above one": {"--malformed-rate", "1.1"},
		"unknown flag":   {"--bogus"},
	}
	for name, args := range cases {
		dir := t.TempDir()
		code, _, errOut := runDWM(t, append([]string{"generate", "--out", dir}, args...)...)
		if code != ExitUsage || !strings.HasPrefix(errOut, "error: ") {
			t.Errorf("%s: exit %d, stderr %q; want exit %d with an error", name, code, errOut, ExitUsage)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: wrote files despite the error", name)
		}
	}
}
