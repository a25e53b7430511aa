package bench

import (
	"fmt"
	"testing"

	"github.com/dwmhq/dwm/engine/compile"
	"github.com/dwmhq/dwm/engine/manifest"
	"github.com/dwmhq/dwm/engine/session"
)

// TestFastRenderEqualsTextTemplate compiles every model of the generated benchmark project and
// of the repository's own warehouse project twice: as dwm compile does (the fast path of
// engine/tmpl where a template allows it) and forced through text/template (an extra
// function, which the fast path never takes). The SQL must be identical.
func TestFastRenderEqualsTextTemplate(t *testing.T) {
	gen := t.TempDir()
	if _, err := Write(gen, Shape{Models: 400, Folders: 4}, DWM); err != nil {
		t.Fatal(err)
	}
	forceSlow := compile.Options{Extra: map[string]any{"__dwm_test_slow": func() string { return "" }}}
	for _, dir := range []string{gen, "../.."} {
		s, err := session.Open(session.Options{ProjectDir: dir, Getenv: func(string) (string, bool) { return "", false }})
		if err != nil {
			t.Fatal(err)
		}
		ids, _, err := s.Select(nil, nil, []manifest.ResourceType{manifest.Model}, "")
		if err != nil {
			t.Fatal(err)
		}
		compared := 0
		for _, id := range ids {
			if s.Project.Templates[id] == nil {
				continue
			}
			for _, inc := range []bool{false, true} {
				fast, ferr := s.Compiler.Node(id, compile.Options{IsIncremental: inc})
				slow, serr := s.Compiler.Node(id, compile.Options{IsIncremental: inc, Extra: forceSlow.Extra})
				if fast != slow || fmt.Sprint(ferr) != fmt.Sprint(serr) {
					t.Fatalf("%s (incremental %v): fast path and text/template differ:\n%s\n%v\n---\n%s\n%v", id, inc, fast, ferr, slow, serr)
				}
			}
			compared++
		}
		if compared < 10 {
			t.Fatalf("%s: compared only %d models", dir, compared)
		}
	}
}
