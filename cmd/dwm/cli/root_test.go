package cli

import "testing"

func TestLongLived(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"serve"}, true},
		{[]string{"--project-dir", "p", "serve", "--threads", "2"}, true},
		{[]string{"compile"}, false},
		{[]string{"ls", "-s", "serve"}, false},
		{nil, false},
		{[]string{"no-such-command"}, false},
	} {
		if got := LongLived(tc.args); got != tc.want {
			t.Errorf("LongLived(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}
