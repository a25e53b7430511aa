package artifacts

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/internal/osfs"
)

// WriteManifest writes target/manifest.json: every node with its dependencies, config and
// checksum, as {"metadata", "nodes", "sources", "macros", "parent_map", "child_map"} with keys
// sorted, compact as dbt writes it. The nodes are encoded on every core, without reflection,
// and the document is assembled around them: encoding/json of the whole document was a
// single-threaded 0.6 s for 10,000 models and 30,000 tests. The file is replaced atomically.
func (d Dir) WriteManifest(m *manifest.Manifest, version, invocation, target string) error {
	meta := metadata{version, time.Now().UTC(), invocation, target}
	err := osfs.WriteAtomic(filepath.Join(string(d), "manifest.json"), func(w io.Writer) error { return encodeManifest(w, m, meta) })
	if err != nil {
		return fmt.Errorf("write manifest.json: %w", err)
	}
	return nil
}

// encodeManifest writes the document to w, which should be buffered.
func encodeManifest(w io.Writer, m *manifest.Manifest, meta metadata) error {
	ids := m.SortedIDs()
	nodes, err := encodeNodes(m, ids)
	if err != nil {
		return err
	}
	children := map[string][]string{}
	for _, id := range ids {
		for _, p := range m.Nodes[id].DependsOn {
			children[p] = append(children[p], id) // ids are sorted, so each list is too
		}
	}
	b := &jsonWriter{w: bufio.NewWriterSize(w, 256<<10)} // the writer itself when it is this buffered
	b.WriteString(`{"metadata":`)
	b.value(meta)
	for _, part := range []struct {
		key    string
		source bool
	}{{`,"nodes":{`, false}, {`},"sources":{`, true}} {
		b.WriteString(part.key)
		first := true
		for i, id := range ids {
			if (m.Nodes[id].ResourceType == manifest.Source) != part.source {
				continue
			}
			if !first {
				b.byte(',')
			}
			first = false
			b.key(id)
			b.Write(nodes[i])
		}
	}
	b.WriteString(`},"macros":`)
	b.value(m.Macros)
	for _, part := range []struct {
		key   string
		edges func(id string) []string
	}{
		{`,"parent_map":{`, func(id string) []string { return m.Nodes[id].DependsOn }},
		{`},"child_map":{`, func(id string) []string { return children[id] }},
	} {
		b.WriteString(part.key)
		for i, id := range ids {
			if i > 0 {
				b.byte(',')
			}
			b.key(id)
			b.byte('[')
			for k, e := range part.edges(id) {
				if k > 0 {
					b.byte(',')
				}
				b.str(e)
			}
			b.byte(']')
		}
	}
	b.WriteString("}}\n")
	if b.err == nil {
		b.err = b.w.Flush()
	}
	return b.err
}

// encodeNodes encodes the nodes of ids in parallel, each exactly as encoding/json would inside
// the document (manifest.Node.AppendJSON).
func encodeNodes(m *manifest.Manifest, ids []string) ([][]byte, error) {
	out := make([][]byte, len(ids))
	errs := make([]error, len(ids))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(ids)/256))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(ids); i += workers {
				out[i], errs[i] = m.Nodes[ids[i]].AppendJSON(nil)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ids[i], err)
		}
	}
	return out, nil
}

// jsonWriter writes a JSON document piece by piece and keeps the first error.
type jsonWriter struct {
	w   *bufio.Writer
	err error
}

func (j *jsonWriter) Write(p []byte) {
	if j.err == nil {
		_, j.err = j.w.Write(p)
	}
}

func (j *jsonWriter) WriteString(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

func (j *jsonWriter) byte(c byte) {
	if j.err == nil {
		j.err = j.w.WriteByte(c)
	}
}

func (j *jsonWriter) value(v any) {
	data, err := json.Marshal(v)
	if err != nil && j.err == nil {
		j.err = err
	}
	j.Write(data)
}

func (j *jsonWriter) key(s string) {
	j.str(s)
	j.byte(':')
}

// str writes s as a JSON string the way encoding/json does; IDs are almost always plain ASCII,
// which is copied as is.
func (j *jsonWriter) str(s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j.value(s)
			return
		}
	}
	j.byte('"')
	j.WriteString(s)
	j.byte('"')
}
