package cli

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/artifacts"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/runner"
)

// JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters): one testsuite, one
// testcase per data test or unit test.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// junitReport builds the report: warnings pass (CI would otherwise fail on them), failures and
// errors carry their message, and tests skipped because something upstream failed are skipped.
func junitReport(suite string, m *manifest.Manifest, results []runner.Result, elapsed time.Duration) junitSuites {
	s := junitSuite{Name: suite, Time: fmt.Sprintf("%.3f", elapsed.Seconds())}
	for _, r := range results {
		n := m.Nodes[r.UniqueID]
		if n == nil || (n.ResourceType != manifest.Test && n.ResourceType != manifest.UnitTest) {
			continue
		}
		c := junitCase{Name: n.Name, ClassName: className(m, n), Time: fmt.Sprintf("%.3f", r.ExecTime)}
		first := strings.SplitN(r.Message, "\n", 2)[0]
		switch r.Status {
		case runner.Fail:
			s.Failures++
			c.Failure = &junitMessage{Message: first, Type: "fail", Text: r.Message}
		case runner.Error:
			s.Errors++
			c.Error = &junitMessage{Message: first, Type: "error", Text: r.Message}
		case runner.Skipped:
			s.Skipped++
			c.Skipped = &junitMessage{Message: r.Message}
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	return junitSuites{Suites: []junitSuite{s}}
}

// className groups tests by the node they test, which is how CI views list them.
func className(m *manifest.Manifest, n *manifest.Node) string {
	if n.Test != nil && n.Test.AttachedTo != "" {
		if t := m.Nodes[n.Test.AttachedTo]; t != nil {
			return m.Project + "." + string(t.ResourceType) + "." + t.Name
		}
	}
	return m.Project + "." + string(n.ResourceType)
}

func writeJUnit(path, suite string, m *manifest.Manifest, results []runner.Result, elapsed time.Duration) error {
	data, err := xml.MarshalIndent(junitReport(suite, m, results, elapsed), "", "  ")
	if err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	if err := artifacts.WriteFile(path, append([]byte(xml.Header), append(data, '\n')...)); err != nil {
		return fmt.Errorf("junit %s: %w", path, err)
	}
	return nil
}
