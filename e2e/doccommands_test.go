package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docCommand is one dwm command line shown in a sh code block of the docs.
type docCommand struct {
	where string   // file:line, for messages
	args  []string // the arguments after `dwm` / `bin/dwm`
}

func (c docCommand) String() string { return c.where + ": dwm " + strings.Join(c.args, " ") }

// docFiles are the documents whose dwm commands must work as written on the example warehouse:
// README.md's quick tour and every sh block of docs/warehouse.md.
var docFiles = []struct{ path, section string }{
	{"README.md", "## Quick tour"},
	{"docs/warehouse.md", ""},
}

// cdcToolsBlock marks the sh block of docs/warehouse.md that runs in the CDC-tool variant of the
// project (scripts/cdc-tools-project.sh): TestCDCToolTables runs those commands (generate --sink
// per week, then build with the cdc_tool var) on a dwm serve target instead of `dev`, so they are
// not run again here.
const cdcToolsBlock = "scripts/cdc-tools-project.sh"

// docCommands returns the dwm commands of docFiles, in document order.
func docCommands(t *testing.T) []docCommand {
	t.Helper()
	var out []docCommand
	for _, f := range docFiles {
		data, err := os.ReadFile(filepath.Join(repoRoot(t), f.path))
		if err != nil {
			t.Fatal(err)
		}
		cmds, err := shCommands(f.path, string(data), f.section)
		if err != nil {
			t.Fatal(err)
		}
		if len(cmds) == 0 {
			t.Fatalf("%s: no dwm command found (section %q): has the document changed shape?", f.path, f.section)
		}
		out = append(out, cmds...)
	}
	return out
}

// shCommands extracts the dwm command lines of the ```sh blocks of doc (only those under the
// heading section when it is not empty), leaving out blocks that contain cdcToolsBlock.
func shCommands(name, doc, section string) ([]docCommand, error) {
	lines := strings.Split(doc, "\n")
	var out []docCommand
	inSection := section == ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if section != "" && strings.HasPrefix(l, "#") {
			inSection = strings.TrimSpace(l) == section
		}
		if !inSection || strings.TrimSpace(l) != "```sh" {
			continue
		}
		start := i + 1
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
		}
		block := lines[start:min(i, len(lines))]
		if strings.Contains(strings.Join(block, "\n"), cdcToolsBlock) {
			continue
		}
		for j, b := range block {
			words, err := shellWords(b)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, start+j+1, err)
			}
			if len(words) == 0 || (words[0] != "dwm" && words[0] != "bin/dwm") {
				continue
			}
			out = append(out, docCommand{where: fmt.Sprintf("%s:%d", name, start+j+1), args: words[1:]})
		}
	}
	return out, nil
}

// shellWords splits a shell command line the way sh would for the docs' simple commands: words
// separated by blanks, '...' and "..." quoting (no expansion inside), a # that starts a word
// begins a comment. Anything the docs' commands should not need (pipes, $ expansion, &&) is an
// error, so a command that cannot be run literally does not pass silently.
func shellWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case c == '#' && !inWord:
			return words, nil
		case c == '\'' || c == '"':
			end := strings.IndexByte(line[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("unterminated %c quote in %q", c, line)
			}
			cur.WriteString(line[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case strings.IndexByte("|&;<>$`\\()", c) >= 0:
			return nil, fmt.Errorf("%q: shell syntax %q is not supported by the docs test", line, c)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// runDocCommands runs cmds in dir, a project holding a warehouse built by the documented
// simulate command. Commands that write CDC files (simulate, generate) get the scale flags of the
// built warehouse appended (sizes only: the same generator, weeks and seed), so the files stay
// consistent with the ones already loaded. Every command must exit 0; show must print a table
// with at least one row, build and run must report no error, docs generate must write its page.
func runDocCommands(t *testing.T, dir string, cmds []docCommand, scale []string) {
	t.Helper()
	for _, c := range cmds {
		args := c.args
		if args[0] == "simulate" || args[0] == "generate" {
			args = append(append(append([]string{}, args...), "-q"), scale...)
		}
		r := dwm(t, dir, nil, args...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", c, r.code, tail(r.stdout, 40), r.stderr)
		}
		switch args[0] {
		case "show":
			if tableLines(r.stdout) < 3 { // header, separator, at least one row
				t.Errorf("%s: no rows:\n%s", c, r.stdout)
			}
		case "build", "run":
			if !strings.Contains(r.stdout, "ERROR=0") {
				t.Errorf("%s: not clean:\n%s", c, tail(r.stdout, 30))
			}
		case "docs":
			if _, err := os.Stat(filepath.Join(dir, "target", "index.html")); err != nil {
				t.Errorf("%s: %v", c, err)
			}
		}
	}
}

// tableLines counts the lines of a markdown table (dwm show's output).
func tableLines(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "|") {
			n++
		}
	}
	return n
}

func TestShellWords(t *testing.T) {
	got, err := shellWords(`bin/dwm show --inline 'select {{ ref "users" }}'   # comment`)
	if err != nil || strings.Join(got, "|") != `bin/dwm|show|--inline|select {{ ref "users" }}` {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := shellWords(`dwm generate --week $w`); err == nil {
		t.Fatal("$ expansion must be refused, not run literally")
	}
	if _, err := shellWords(`dwm show --inline 'select 1`); err == nil {
		t.Fatal("an unterminated quote must be an error")
	}
}
