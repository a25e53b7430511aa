package tmpl

import "testing"

func TestLineIndexPosition(t *testing.T) {
	// The reference: count lines and columns byte by byte up to the offset.
	position := func(text string, off int) (line, col int) {
		line, col = 1, 1
		for i := 0; i < off && i < len(text); i++ {
			if text[i] == '\n' {
				line++
				col = 1
			} else {
				col++
			}
		}
		return line, col
	}
	for _, text := range []string{"", "a", "\n", "ab\ncd\n\nxyz", "é\n{{ ref \"a\" }}\n", "\n\n\n"} {
		l := &lineIndex{text: text}
		for off := 0; off <= len(text)+1; off++ {
			wl, wc := position(text, off)
			if gl, gc := l.position(off); gl != wl || gc != wc {
				t.Errorf("%q at %d: got %d:%d, want %d:%d", text, off, gl, gc, wl, wc)
			}
		}
	}
}
