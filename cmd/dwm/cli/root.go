// Package cli wires dwm's commands. It only parses flags, calls the engine and turns errors into
// friendly text and exit codes; all behaviour lives in the engine and generator packages.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
)

// Exit codes, as documented in the README.
const (
	ExitOK      = 0 // everything succeeded
	ExitFailure = 1 // a node or test failed
	ExitUsage   = 2 // bad flags, a broken project or bad input
	// ExitInterrupted is what shells expect of a program stopped by Ctrl-C (128 + SIGINT), so a
	// script tells an interrupted build from a failed one.
	ExitInterrupted = 130
)

// Streams carries the process's standard streams so commands never touch os.Stdout directly.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// exitError carries an exit code chosen by a command through cobra back to Main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as a usage or project error (exit 2).
func usageErr(err error) error { return &exitError{code: ExitUsage, err: err} }

// failErr marks err as a run failure (exit 1).
func failErr(err error) error { return &exitError{code: ExitFailure, err: err} }

// Main runs dwm with args and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	s := &Streams{In: stdin, Out: stdout, Err: stderr}
	root := newRootCmd(s)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if ctx.Err() != nil {
		// The signal context is only ever cancelled by Ctrl-C (SIGINT).
		if err != nil && !errors.Is(err, silent) {
			fmt.Fprintln(stderr, "error:", err)
		}
		fmt.Fprintln(stderr, "interrupted")
		return ExitInterrupted
	}
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "error:", ee.err)
		}
		return ee.code
	}
	// Errors cobra raises itself (unknown flag, bad arguments) are usage errors.
	fmt.Fprintln(stderr, "error:", err)
	return ExitUsage
}

// LongLived reports whether args run a command that stays up (dwm serve), for process-wide
// settings meant for short commands.
func LongLived(args []string) bool {
	cmd, _, err := newRootCmd(&Streams{In: os.Stdin, Out: io.Discard, Err: io.Discard}).Find(args)
	return err == nil && cmd.Name() == "serve"
}

func newRootCmd(s *Streams) *cobra.Command {
	root := &cobra.Command{
		Use:           "dwm",
		Short:         "Declarative SQL models for ClickHouse",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionText(os.Getenv),
	}
	g := &globalOptions{logOut: s.Out, notices: s.Err}
	g.register(root)
	root.AddCommand(newDocsCmd(s, g), newTestCmd(s, g), newBuildCmd(s, g), newGenerateCmd(s, g), newSimulateCmd(s, g), newChecksumCmd(s, g), newRunCmd(s, g), newSeedCmd(s, g), newSourceCmd(s, g), newSnapshotCmd(s, g), newCompileCmd(s, g), newLsCmd(s, g),
		newShowCmd(s, g), newDebugCmd(s, g), newCleanCmd(s, g), newServeCmd(s, g), newEraseCmd(s, g),
		newEngineCmd(s), newInitCmd(s), newImportCmd(s), newRetryCmd(s, g), newRunOperationCmd(s, g))
	return root
}
