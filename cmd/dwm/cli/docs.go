package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dwmhq/dwm/engine/artifacts"
	"github.com/dwmhq/dwm/engine/docs"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/pii"
	"github.com/dwmhq/dwm/engine/session"
	"github.com/spf13/cobra"
)

// docsGenerateOptions are `dwm docs generate`'s own flags.
type docsGenerateOptions struct {
	noCatalog bool
	noCompile bool
}

func newDocsCmd(s *Streams, g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "docs",
		Short: "Generate the project's documentation site",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newDocsGenerateCmd(s, g), newDocsServeCmd(s, g))
	return cmd
}

func newDocsServeCmd(s *Streams, g *globalOptions) *cobra.Command {
	var host string
	var port int
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the docs site written by dwm docs generate (read-only, on 127.0.0.1 by default)",
		Long: `serve answers GET requests for target/index.html and the compiled SQL it links to, and
nothing else: no other file, no writes, no warehouse. It listens on 127.0.0.1 unless --host says
otherwise. Stop it with Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return docsServeRun(cmd.Context(), s, g, host, port) },
	}
	cmd.Flags().StringVar(&host, "host", "127.0.0.1", "address to listen on (other than loopback exposes the docs to the network)")
	cmd.Flags().IntVar(&port, "port", 8080, "port to listen on (0: any free port)")
	return cmd
}

func docsServeRun(ctx context.Context, s *Streams, g *globalOptions, host string, port int) error {
	sess, err := g.openSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	srv, err := docs.NewServer(string(sess.Target))
	if err != nil {
		return usageErr(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return usageErr(fmt.Errorf("docs serve: %w", err))
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(s.Err, "warning: serving the docs on %s, reachable from the network\n", host)
	}
	hs := docs.HTTPServer(srv)
	fmt.Fprintf(s.Out, "Serving docs at http://%s/ (Ctrl-C to stop)\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return failErr(err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		return nil
	}
}

func newDocsGenerateCmd(s *Streams, g *globalOptions) *cobra.Command {
	opts := &docsGenerateOptions{}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write target/catalog.json and a self-contained target/index.html documenting the project",
		Long: `generate writes manifest.json, compiles every model, reads the warehouse's system tables into
catalog.json (column types, comments, row counts and sizes of each model, seed and source that
exists) and writes index.html: one offline page to browse nodes, columns, tests and lineage.
With --no-catalog, or when the warehouse cannot be opened, catalog.json is skipped and the page is
built from the manifest alone.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return docsGenerateRun(cmd.Context(), s, g, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.noCatalog, "no-catalog", false, "skip the warehouse and catalog.json")
	cmd.Flags().BoolVar(&opts.noCompile, "no-compile", false, "do not compile models to target/compiled first")
	return cmd
}

func docsGenerateRun(ctx context.Context, s *Streams, g *globalOptions, opts *docsGenerateOptions) error {
	sess, err := g.openSession()
	if err != nil {
		return err
	}
	defer sess.Close()
	if err := sess.WriteManifest(); err != nil {
		return failErr(err)
	}
	m := sess.Project.Manifest
	// The page links each model to its compiled SQL, so compile the whole project as dbt does.
	compiled := map[string]string{}
	if !opts.noCompile {
		ids, _, err := sess.Select(nil, nil, []manifest.ResourceType{manifest.Model, manifest.Snapshot, manifest.Test}, "")
		if err != nil {
			return usageErr(err)
		}
		if _, err := sess.CompileNodes(ids, true); err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return failErr(err)
			}
			return usageErr(err)
		}
		// The page shows the compiled SQL inline; the files are already masked.
		for _, id := range ids {
			if data, err := os.ReadFile(sess.Target.CompiledPath(m.Project, sess.Node(id))); err == nil {
				compiled[id] = string(data)
			}
		}
	}

	now := time.Now().UTC()
	cat, err := docsCatalog(ctx, s, sess, opts, now)
	if err != nil {
		return failErr(err)
	}
	if cat != nil {
		data, err := json.Marshal(cat)
		if err != nil {
			return failErr(fmt.Errorf("write catalog.json: %w", err))
		}
		path := filepath.Join(string(sess.Target), "catalog.json")
		if err := artifacts.WriteFile(path, append(data, '\n')); err != nil {
			return failErr(fmt.Errorf("write catalog.json: %w", err))
		}
		fmt.Fprintf(s.Out, "Catalog of %d relations written to %s\n", len(cat.Nodes)+len(cat.Sources), path)
	}

	siteOpts := docs.SiteOptions{Version: session.Version, GeneratedAt: now, Compiled: compiled}
	if !opts.noCompile {
		siteOpts.CompiledDir = "compiled/" + m.Project
	}
	tags, err := sess.PII()
	if err != nil {
		return usageErr(err)
	}
	page, err := docs.Site(pii.Annotate(m, tags), cat, siteOpts)
	if err != nil {
		return failErr(err)
	}
	path := filepath.Join(string(sess.Target), "index.html")
	if err := artifacts.WriteFile(path, page); err != nil {
		return failErr(fmt.Errorf("write index.html: %w", err))
	}
	fmt.Fprintf(s.Out, "Docs site written to %s\n", path)
	return nil
}

// docsCatalog reads the catalog, or returns nil with a warning when it is skipped: a missing or
// busy warehouse must not stop the docs, which are still useful from the manifest alone.
func docsCatalog(ctx context.Context, s *Streams, sess *session.Session, opts *docsGenerateOptions, now time.Time) (*docs.Catalog, error) {
	if opts.noCatalog {
		fmt.Fprintln(s.Err, "warning: --no-catalog: catalog.json skipped; index.html documents the manifest only")
		return nil, nil
	}
	wh, err := sess.Warehouse(ctx)
	if err != nil {
		fmt.Fprintf(s.Err, "warning: the warehouse cannot be opened (%v): catalog.json skipped; index.html documents the manifest only\n", err)
		return nil, nil
	}
	return docs.ReadCatalog(ctx, wh, sess.Project.Manifest, docs.CatalogMetadata{DwmVersion: session.Version,
		GeneratedAt: now, InvocationID: sess.Invocation, Target: sess.Project.TargetName})
}
