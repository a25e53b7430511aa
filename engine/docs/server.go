package docs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// maxServedFile caps what the docs server reads into one answer; compiled SQL files are small and
// index.html of a 10,000-model project is tens of megabytes.
const maxServedFile = 512 << 20

// securityHeaders are sent with every answer: the page is self-contained (inline CSS and JS, no
// network), so the policy allows nothing else, and other sites may not frame it.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; " +
		"frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
	"X-Content-Type-Options": "nosniff",
	"Referrer-Policy":        "no-referrer",
	"Cache-Control":          "no-store",
}

// Server answers the docs site of a target directory, read-only: GET or HEAD of / (index.html)
// and of the compiled SQL under compiled/ that the page links to. Nothing else is reachable:
// paths are opened through an os.Root on target/compiled, so neither ".." nor a symbolic link
// leads outside it, and only .sql files are served.
type Server struct {
	index    string
	compiled string
}

// NewServer checks that dir (a target directory) holds index.html.
func NewServer(dir string) (*Server, error) {
	index := filepath.Join(dir, "index.html")
	if _, err := os.Stat(index); err != nil {
		return nil, fmt.Errorf("no docs site in %s (run dwm docs generate first): %w", dir, err)
	}
	return &Server{index: index, compiled: filepath.Join(dir, "compiled")}, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for k, v := range securityHeaders {
		w.Header().Set(k, v)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the docs site is read-only", http.StatusMethodNotAllowed)
		return
	}
	switch p := r.URL.Path; {
	case p == "/" || p == "/index.html":
		s.serveFile(w, r, func() (*os.File, error) { return os.Open(s.index) }, "text/html; charset=utf-8")
	case strings.HasPrefix(p, "/compiled/") && strings.HasSuffix(p, ".sql"):
		rel := strings.TrimPrefix(p, "/compiled/")
		s.serveFile(w, r, func() (*os.File, error) {
			root, err := os.OpenRoot(s.compiled)
			if err != nil {
				return nil, err
			}
			defer root.Close()
			return root.Open(filepath.FromSlash(rel))
		}, "text/plain; charset=utf-8")
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, open func() (*os.File, error), ctype string) {
	f, err := open()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			http.NotFound(w, r)
			return
		}
		// An escape attempt through a link, a permission problem: say nothing about the file system.
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxServedFile {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", ctype)
	http.ServeContent(w, r, "", st.ModTime(), io.NewSectionReader(f, 0, st.Size()))
}

// HTTPServer wraps h with the limits every dwm listener has: slow or huge requests are cut off.
func HTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 5 * time.Minute, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}
}
