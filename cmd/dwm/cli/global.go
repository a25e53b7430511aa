package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/dwmhq/dwm/engine/dag"
	"github.com/dwmhq/dwm/engine/selector"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/dwmhq/dwm/engine/state"
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
	// Slim CI: a previous target/ folder to compare with and defer to.
	state      string
	deferRefs  bool
	favorState bool
	// empty builds models with zero rows (run and build only).
	empty bool
	// logOut receives {{ log "msg" }} lines (the command's stdout).
	logOut io.Writer
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
	f.StringVar(&g.state, "state", "", "a previous run's target/ folder, for state:/result: selectors and --defer")
	f.BoolVar(&g.deferRefs, "defer", false, "read refs to unselected models from the relations recorded in --state")
	f.BoolVar(&g.favorState, "favor-state", false, "with --defer, read from --state's relations even where the current target has them")
}

// registerEmpty adds --empty to the commands that build models.
func (g *globalOptions) registerEmpty(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&g.empty, "empty", false, "build every model with zero rows (refs and sources read as empty): a schema check at no cost")
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
	if (g.deferRefs || g.favorState) && g.state == "" {
		return usageErr(fmt.Errorf("--defer and --favor-state need --state DIR (the target/ folder of the run to defer to)"))
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
	return g.open(session.Open)
}

// openListing opens the project for listing only (session.OpenListing).
func (g *globalOptions) openListing(useCache bool) (*session.Session, error) {
	return g.open(func(o session.Options) (*session.Session, error) { return session.OpenListing(o, useCache) })
}

func (g *globalOptions) open(open func(session.Options) (*session.Session, error)) (*session.Session, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	vars, err := g.parseVars()
	if err != nil {
		return nil, usageErr(err)
	}
	opts := session.Options{ProjectDir: g.projectDir, Target: g.target, Vars: vars, Threads: g.threads}
	if g.state != "" {
		if opts.State, err = state.Load(g.state); err != nil {
			return nil, usageErr(err)
		}
	}
	if g.notices != nil {
		opts.Notice = func(msg string) { fmt.Fprintln(g.notices, "note:", msg) }
	}
	if open, err := faultInjection(); err != nil {
		return nil, usageErr(err)
	} else if open != nil {
		opts.OpenWarehouse = open
	}
	s, err := open(opts)
	if err != nil {
		var ce *dag.CycleError
		if errors.As(err, &ce) {
			return nil, usageErr(fmt.Errorf("dependency %w", err))
		}
		return nil, usageErr(err)
	}
	if g.logOut != nil {
		s.Compiler.Log = templateLogger(g.logOut, g.logFormat == "json")
	}
	return s, nil
}

// templateLogger prints {{ log "msg" }} messages as they render, one line each, from any
// goroutine.
func templateLogger(w io.Writer, asJSON bool) func(node, msg string) {
	var mu sync.Mutex
	return func(node, msg string) {
		mu.Lock()
		defer mu.Unlock()
		if asJSON {
			b, _ := json.Marshal(map[string]any{"event": "log", "node": node, "msg": msg, "ts": time.Now().UTC().Format(time.RFC3339Nano)})
			fmt.Fprintln(w, string(b))
			return
		}
		fmt.Fprintf(w, "%s  %s: %s\n", time.Now().Format("15:04:05"), node, msg)
	}
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
