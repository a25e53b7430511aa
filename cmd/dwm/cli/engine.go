package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/dwmhq/dwm/engine/session"
	"github.com/dwmhq/dwm/engine/warehouse/chdb"
	"github.com/dwmhq/dwm/engine/warehouse/chdb/chdbinstall"
	"github.com/spf13/cobra"
)

// engineOptions are what `dwm engine` works from: the platform and the environment, passed in
// so the commands never read globals behind the caller's back.
type engineOptions struct {
	goos, goarch string
	getenv       func(string) string
	force        bool
}

func newEngineCmd(s *Streams) *cobra.Command {
	o := &engineOptions{goos: runtime.GOOS, goarch: runtime.GOARCH, getenv: os.Getenv}
	cmd := &cobra.Command{
		Use:   "engine",
		Short: "Install or inspect the embedded ClickHouse engine (libchdb)",
		Args:  cobra.NoArgs,
	}
	install := &cobra.Command{
		Use:   "install",
		Short: "Install the pinned libchdb for this platform into dwm's cache (uses npm)",
		Long: "Fetches libchdb " + chdb.LibchdbVersion + ", the embedded ClickHouse, with npm (so npm's registry and proxy\n" +
			"settings apply), checks its sha512 integrity and installs it into dwm's cache\n" +
			"(${DWM_CACHE_DIR:-${XDG_CACHE_HOME:-~/.cache}/dwm}/libchdb/<version>/libchdb.so).\n" +
			"It prints the library's path. Nothing is fetched when it is already installed.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return engineInstallRun(cmd, s, o) },
	}
	install.Flags().BoolVar(&o.force, "force", false, "fetch and install again even when installed")
	status := &cobra.Command{
		Use:   "status",
		Short: "Show which libchdb dwm would load and whether it loads (exit 1 when none is usable)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return engineStatusRun(s, o) },
	}
	cmd.AddCommand(install, status)
	return cmd
}

func engineInstallRun(cmd *cobra.Command, s *Streams, o *engineOptions) error {
	pkg, err := chdbinstall.ForPlatform(o.goos, o.goarch)
	if err != nil {
		return failErr(err)
	}
	res, err := chdbinstall.Install(cmd.Context(), chdbinstall.Options{
		Package: pkg,
		Dest:    chdb.CacheLibraryPath(o.getenv),
		Force:   o.force,
		Log:     prefixWriter{w: s.Err, prefix: "dwm engine install: "},
	})
	if err != nil {
		return failErr(fmt.Errorf("engine install: %w", err))
	}
	if res.Already && isTerminal(s.Out) { // said to people, not to `make setup`, which runs it every time
		fmt.Fprintf(s.Err, "dwm engine install: libchdb %s is already installed (--force installs it again)\n", pkg.Version)
	}
	if env := o.getenv(chdb.EnvLibrary); env != "" && env != res.Path {
		fmt.Fprintf(s.Err, "dwm engine install: note: %s is set, so dwm loads %s, not this library\n", chdb.EnvLibrary, env)
	}
	fmt.Fprintln(s.Out, res.Path)
	return nil
}

func engineStatusRun(s *Streams, o *engineOptions) error {
	fmt.Fprintf(s.Out, "platform:  %s/%s\n", o.goos, o.goarch)
	if pkg, err := chdbinstall.ForPlatform(o.goos, o.goarch); err != nil {
		fmt.Fprintf(s.Out, "package:   none: %v\n", err)
	} else {
		how := "pinned " + pkg.Integrity
		if pkg.Integrity == "" {
			how = "not pinned for this platform; verified against the registry's published integrity at install"
		}
		fmt.Fprintf(s.Out, "package:   %s (%s)\n", pkg.Spec(), how)
	}
	lib, err := chdb.FindLibrary("", o.getenv)
	if err != nil {
		fmt.Fprintf(s.Out, "library:   not found: looked in %s\n", strings.Join(chdb.LibraryCandidates("", o.getenv), ", "))
		return failErr(errors.New("libchdb is not installed: run `dwm engine install`"))
	}
	fmt.Fprintf(s.Out, "library:   %s (%s)\n", lib, librarySource(lib, o.getenv))
	if prov, ok := chdbinstall.ReadProvenance(lib); ok && lib == chdb.CacheLibraryPath(o.getenv) {
		how := "as the registry published it"
		if prov.Pinned {
			how = "pinned"
		}
		fmt.Fprintf(s.Out, "installed: from %s@%s, verified %s (%s)\n", prov.Package, prov.Version, prov.Integrity, how)
	}
	if err := chdb.CheckLibrary(lib); err != nil {
		fmt.Fprintln(s.Out, "loads:     NO")
		return failErr(fmt.Errorf("%w (run `dwm engine install --force` to replace the cached library)", err))
	}
	fmt.Fprintln(s.Out, "loads:     yes")
	return nil
}

// librarySource says why lookup chose lib, in the words of the lookup order.
func librarySource(lib string, getenv func(string) string) string {
	switch {
	case getenv(chdb.EnvLibrary) != "":
		return "from " + chdb.EnvLibrary
	case lib == chdb.CacheLibraryPath(getenv):
		return "dwm's cache"
	default:
		return "system library"
	}
}

// versionText is what `dwm --version` prints after "dwm version ": dwm's version, then the
// engine it would use, found the way Open finds it (no library is loaded).
func versionText(getenv func(string) string) string {
	where := "not installed; run `dwm engine install`"
	if lib, err := chdb.FindLibrary("", getenv); err == nil {
		where = lib + " (" + librarySource(lib, getenv) + ")"
	}
	return fmt.Sprintf("%s\nengine: libchdb %s for %s/%s: %s", session.Version, chdb.LibchdbVersion, runtime.GOOS, runtime.GOARCH, where)
}

// prefixWriter prefixes every write (one line each, as chdbinstall logs) for people reading
// several tools' output in one terminal.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := p.w.Write(append([]byte(p.prefix), b...)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// isTerminal is isTTY minus /dev/null, which is a character device too: `make setup` sends
// stdout there and wants silence when nothing happened.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || !isTTY(f) {
		return false
	}
	st, err := f.Stat()
	null, nerr := os.Stat(os.DevNull)
	return err == nil && nerr == nil && !os.SameFile(st, null)
}
