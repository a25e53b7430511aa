package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/dwmhq/dwm/engine/runner"
	"github.com/spf13/cobra"
)

// recordArgs are the flags run_results.json keeps so dwm retry can repeat the invocation.
func (g *globalOptions) recordArgs(extra map[string]any) map[string]any {
	args := map[string]any{"select": g.selects, "exclude": g.excludes, "full_refresh": g.fullRefresh,
		"target": g.target, "vars": g.vars, "threads": g.threads, "fail_fast": g.failFast,
		"state": g.state, "defer": g.deferRefs, "favor_state": g.favorState, "empty": g.empty}
	for k, v := range extra {
		args[k] = v
	}
	return args
}

// retryArgs is what dwm retry reads back from run_results.json.
type retryArgs struct {
	Command string `json:"command"`
	Args    struct {
		Target      string `json:"target"`
		Vars        string `json:"vars"`
		Threads     int    `json:"threads"`
		FullRefresh bool   `json:"full_refresh"`
		FailFast    bool   `json:"fail_fast"`
		State       string `json:"state"`
		Defer       bool   `json:"defer"`
		FavorState  bool   `json:"favor_state"`
		Empty       bool   `json:"empty"`
		WarnError   bool   `json:"warn_error"`
		Full        bool   `json:"full"`
	} `json:"args"`
	Results []runner.Result `json:"results"`
}

func newRetryCmd(s *Streams, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "retry",
		Short: "Re-run the nodes that failed or were skipped in the last run, build, seed or test, with its flags",
		Long: "retry reads target/run_results.json and runs again, with the flags that invocation had, exactly\n" +
			"the nodes that errored, failed or were skipped. It writes a new run_results.json, so retry can follow retry.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return executeRetry(cmd.Context(), s, g) },
	}
}

func executeRetry(ctx context.Context, s *Streams, g *globalOptions) error {
	sess, err := g.openSession()
	if err != nil {
		return err
	}
	path := filepath.Join(string(sess.Target), "run_results.json")
	sess.Close()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return usageErr(fmt.Errorf("nothing to retry: %s does not exist (run, build, seed or test first)", path))
	}
	if err != nil {
		return usageErr(err)
	}
	var prev retryArgs
	if err := json.Unmarshal(data, &prev); err != nil {
		return usageErr(fmt.Errorf("%s: %w", path, err))
	}
	o := &testOptions{warnError: prev.Args.WarnError, full: prev.Args.Full}
	var k runKind
	switch prev.Command {
	case "run":
		k = runCmdKind()
	case "seed":
		k = seedCmdKind()
	case "test":
		k = testKind(o)
	case "build":
		k = buildKind(o, "dwm build")
	default:
		return usageErr(fmt.Errorf("%s: the last command was %q, which retry cannot repeat", path, prev.Command))
	}
	// The original invocation's flags win over this one's, as in dbt; --project-dir stays.
	r := *g
	r.target, r.vars, r.fullRefresh, r.failFast = prev.Args.Target, prev.Args.Vars, prev.Args.FullRefresh, prev.Args.FailFast
	r.state, r.deferRefs, r.favorState, r.empty = prev.Args.State, prev.Args.Defer, prev.Args.FavorState, prev.Args.Empty
	if prev.Args.Threads > 0 {
		r.threads = prev.Args.Threads
	}
	sess, err = r.openSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	k.retry = []string{}
	for _, res := range prev.Results {
		if (res.Status.Failed() || res.Status == runner.Skipped) && sess.Node(res.UniqueID) != nil {
			k.retry = append(k.retry, res.UniqueID)
		}
	}
	if len(k.retry) == 0 {
		fmt.Fprintf(s.Out, "Nothing to retry: the last %s had no failed or skipped nodes\n", prev.Command)
		return nil
	}
	k.retry = sess.DAG.Order(k.retry)
	return runSelected(ctx, s, &r, k, sess)
}
