package cli

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestImportDbtProjects converts each dbt project of testdata/dbt with `dwm import dbt` (in
// process) and builds the result on the real embedded ClickHouse (a separate dwm process, as
// libchdb allows one data directory per process) twice, the second time incrementally: nothing
// may be left unconverted and every model, seed and test must pass. The projects' singular tests
// check the converted loops, macros and dbt_utils SQL compute what dbt's would.
func TestImportDbtProjects(t *testing.T) {
	env := serveEnv(t)
	for _, name := range []string{"jaffle_shop", "events"} {
		t.Run(name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), name)
			var out, errOut bytes.Buffer
			code := Main([]string{"import", "dbt", filepath.Join("testdata", "dbt", name), dest}, nil, &out, &errOut)
			if code != ExitOK || !strings.Contains(out.String(), "Everything converted.") {
				t.Fatalf("import: exit %d\n%s%s", code, out.String(), errOut.String())
			}
			passed := regexp.MustCompile(`PASS=(\d+) WARN=0 ERROR=0 SKIP=0`)
			for run := 1; run <= 2; run++ {
				cmd := exec.Command(dwmBinary(t), "build", "--target", "local")
				cmd.Dir = dest
				cmd.Env = env
				b, err := cmd.CombinedOutput()
				m := passed.FindStringSubmatch(string(b))
				if err != nil || m == nil || m[1] == "0" {
					t.Fatalf("dwm build #%d of the imported project: %v\n%s", run, err, b)
				}
			}
		})
	}
}
