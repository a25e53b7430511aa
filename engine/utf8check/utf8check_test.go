package utf8check

import "testing"

func TestCheck(t *testing.T) {
	if err := Check("a.sql", []byte("select 'é'\n")); err != nil {
		t.Errorf("valid UTF-8 refused: %v", err)
	}
	err := Check("a.sql", []byte("select 1\nselect 'caf\xe9'\n"))
	if err == nil || err.Error() != "a.sql:2:12: not valid UTF-8 (byte 0xe9): save the file as UTF-8" {
		t.Errorf("got %v", err)
	}
	if got := Offset("ab\xffc"); got != 2 {
		t.Errorf("Offset = %d, want 2", got)
	}
	if got := Offset("a\uFFFDb"); got != -1 {
		t.Errorf("a literal U+FFFD is valid UTF-8, Offset = %d", got)
	}
}
