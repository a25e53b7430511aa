package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dwmhq/dwm/engine/dag"
	"github.com/dwmhq/dwm/engine/selector"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// globalOptions are the flags every command accepts, as in dbt.
type globalOptions struct {
	projectDir  string
	target      string
	vars        string
	threads     int
	selects     []string
	excludes    []string
	fullRefresh bool
	failFast    bool
	logFormat   string
	noColor     bool
	// notices receives what the user should know about how the warehouse was reached.
	notices io.Writer
}

func (g *globalOptions) register(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&g.projectDir, "project-dir", ".", "the project folder (holding project.yml)")
	f.StringVar(&g.target, "target", "", "the target to use (default: project.yml's target)")
	f.StringVar(&g.vars, "vars", "", "variables as YAML or JSON, overriding project vars: '{weeks: 2}'")
	f.IntVar(&g.threads, "threads", 4, "how many nodes run at once")
	f.StringArrayVarP(&g.selects, "select", "s", nil, "nodes to include (dbt selection syntax)")
	f.StringArrayVar(&g.excludes, "exclude", nil, "nodes to exclude (dbt selection syntax)")
	f.BoolVar(&g.fullRefresh, "full-refresh", false, "rebuild incremental models from scratch")
	f.BoolVar(&g.failFast, "fail-fast", false, "stop at the first failure")
	f.StringVar(&g.logFormat, "log-format", "text", "text or json")
	f.BoolVar(&g.noColor, "no-color", false, "never colour the output")
}

// selectArgs splits "-s 'a b'" into words the way dbt reads them (space = union).
func (g *globalOptions) selectArgs() []string { return splitWords(g.selects) }

func (g *globalOptions) excludeArgs() []string { return splitWords(g.excludes) }

func splitWords(in []string) []string {
	var out []string
	for _, s := range in {
		out = append(out, strings.Fields(s)...)
	}
	return out
}

func (g *globalOptions) validate() error {
	switch g.logFormat {
	case "text", "json":
	default:
		return usageErr(fmt.Errorf("--log-format must be text or json, not %q", g.logFormat))
	}
	if g.threads < 1 {
		return usageErr(fmt.Errorf("--threads must be at least 1"))
	}
	return nil
}

func (g *globalOptions) parseVars() (map[string]any, error) {
	if strings.TrimSpace(g.vars) == "" {
		return nil, nil
	}
	var v map[string]any
	if err := yaml.Unmarshal([]byte(g.vars), &v); err != nil {
		var jv map[string]any
		if jerr := json.Unmarshal([]byte(g.vars), &jv); jerr != nil {
			return nil, fmt.Errorf("--vars: not a YAML or JSON mapping: %v", err)
		}
		v = jv
	}
	return v, nil
}

// openSession loads the project; any problem is a usage/project error (exit 2).
func (g *globalOptions) openSession() (*session.Session, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	vars, err := g.parseVars()
	if err != nil {
		return nil, usageErr(err)
	}
	opts := session.Options{ProjectDir: g.projectDir, Target: g.target, Vars: vars, Threads: g.threads}
	if g.notices != nil {
		opts.Notice = func(msg string) { fmt.Fprintln(g.notices, "note:", msg) }
	}
	if open, err := faultInjection(); err != nil {
		return nil, usageErr(err)
	} else if open != nil {
		opts.OpenWarehouse = open
	}
	s, err := session.Open(opts)
	if err != nil {
		var ce *dag.CycleError
		if errors.As(err, &ce) {
			return nil, usageErr(fmt.Errorf("dependency %w", err))
		}
		return nil, usageErr(err)
	}
	return s, nil
}

// warnSelection prints criteria that matched nothing.
func warnSelection(s *Streams, warns []string) {
	for _, w := range warns {
		fmt.Fprintln(s.Err, "warning:", w)
	}
}

var _ = selector.IndirectEager

// isTTY reports whether w is a terminal, for colour and live progress.
func isTTY(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
