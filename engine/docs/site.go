package docs

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
)

// site holds the page template and the CSS and JavaScript inlined into it; they are separate
// files so each can be edited as what it is.
//
//go:embed site
var site embed.FS

// SiteOptions are what the page shows besides the manifest and catalog.
type SiteOptions struct {
	Version     string
	GeneratedAt time.Time
	// CompiledDir is the folder of compiled SQL relative to index.html, e.g. "compiled/<project>";
	// empty leaves the links out.
	CompiledDir string
	// Compiled is the compiled SQL by unique ID, shown inline on each node's page (secrets
	// already masked by the caller).
	Compiled map[string]string
}

// siteManifest is the manifest as the page reads it: the nodes (sources included) and what the
// overview needs. The page computes the child map and test attachments itself.
type siteManifest struct {
	Metadata siteMetadata              `json:"metadata"`
	Nodes    map[string]*manifest.Node `json:"nodes"`
	Compiled map[string]string         `json:"compiled,omitempty"`
}

type siteMetadata struct {
	Project     string    `json:"project"`
	DwmVersion  string    `json:"dwm_version"`
	GeneratedAt time.Time `json:"generated_at"`
	CompiledDir string    `json:"compiled_dir,omitempty"`
}

// Site renders index.html: one self-contained page (inline CSS and JavaScript, the manifest and
// catalog embedded as JSON, no network) that browses the project. cat may be nil, and then the
// page documents the manifest alone.
func Site(m *manifest.Manifest, cat *Catalog, opts SiteOptions) ([]byte, error) {
	// Parsed per call rather than once into a package variable: there is one call per invocation.
	t, err := template.ParseFS(site, "site/index.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("docs site: %w", err)
	}
	css, err := site.ReadFile("site/site.css")
	if err != nil {
		return nil, fmt.Errorf("docs site: %w", err)
	}
	js, err := site.ReadFile("site/site.js")
	if err != nil {
		return nil, fmt.Errorf("docs site: %w", err)
	}
	// Marshalled here, not by html/template, so a failure is an error rather than a null in the
	// page. json.Marshal escapes <, > and &, so the data can never close its <script> element.
	mj, err := json.Marshal(siteManifest{Nodes: m.Nodes, Compiled: opts.Compiled, Metadata: siteMetadata{Project: m.Project,
		DwmVersion: opts.Version, GeneratedAt: opts.GeneratedAt.UTC(), CompiledDir: opts.CompiledDir}})
	if err != nil {
		return nil, fmt.Errorf("docs site: manifest: %w", err)
	}
	cj := []byte("null")
	if cat != nil {
		if cj, err = json.Marshal(cat); err != nil {
			return nil, fmt.Errorf("docs site: catalog: %w", err)
		}
	}
	var b bytes.Buffer
	err = t.Execute(&b, map[string]any{
		"Project": m.Project, "Version": opts.Version,
		"CSS": template.CSS(css), "JS": template.JS(js),
		"Manifest": template.JS(mj), "Catalog": template.JS(cj),
	})
	if err != nil {
		return nil, fmt.Errorf("docs site: %w", err)
	}
	return b.Bytes(), nil
}
