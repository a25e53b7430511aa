package rawengine

import (
	"net"
	"reflect"
	"testing"
)

func TestSessionStatement(t *testing.T) {
	cases := []struct{ sql, kind, arg string }{
		{"USE db", "USE", "db"},
		{" -- c\n use `my db`;", "USE", "`my db`"},
		{"SET a = 1", "SET", "a = 1"},
		{"/* x */ set a = 1, b = 'x;y';", "SET", "a = 1, b = 'x;y'"},
		{"SET ROLE admin", "", ""},
		{"SET DEFAULT ROLE r TO u", "", ""},
		{"SELECT 1", "", ""},
		{"USER x", "", ""},
		{"SETTINGS", "", ""},
	}
	for _, c := range cases {
		kind, arg := sessionStatement(c.sql)
		if kind != c.kind || arg != c.arg {
			t.Errorf("%q: %q %q, want %q %q", c.sql, kind, arg, c.kind, c.arg)
		}
	}
}

func TestParseSet(t *testing.T) {
	got, ok := parseSet(`max_threads = 1, s = 'it\'s, x', arr = [1, 2], d = DEFAULT, "q" = 'a''b'`)
	want := []assignment{{name: "max_threads", value: "1"}, {name: "s", value: "it's, x"}, {name: "arr", value: "[1, 2]"},
		{name: "d", value: "DEFAULT", reset: true}, {name: "q", value: "a'b"}}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v %v", got, ok)
	}
	for _, bad := range []string{"", "a", "= 1", "a = ", "a = 'open", "a = 1 b = 2", "a b = 1"} {
		if _, ok := parseSet(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestIdentifier(t *testing.T) {
	for in, want := range map[string]string{"db": "db", " `a b` ": "a b", `"x""y"`: `x"y`, "d_1": "d_1"} {
		if got, ok := identifier(in); !ok || got != want {
			t.Errorf("%q: %q %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "a b", "`open", "a.b", "`a` x"} {
		if _, ok := identifier(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestAuthenticate(t *testing.T) {
	e := New(nil, Options{Password: "pw", Token: "tok"})
	addr := func(s string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(s), Port: 1} }
	lo, lan, other := addr("127.0.0.1"), addr("192.168.1.5"), addr("192.168.1.9")
	cases := []struct {
		user, pass    string
		remote, local net.Addr
		ok            bool
	}{
		{"default", "pw", other, lan, true},
		{"default", "nope", lo, lo, false},
		{"someone", "pw", lo, lo, false},
		{LocalUser, "tok", lo, lo, true},
		{LocalUser, "tok", lan, lan, true}, // this machine, through its own address
		{LocalUser, "tok", other, lan, false},
		{LocalUser, "pw", lo, lo, false},
		{"default", "tok", lo, lo, false},
	}
	for _, c := range cases {
		if got := e.authenticate(c.user, c.pass, c.remote, c.local); got != c.ok {
			t.Errorf("%s/%s from %v: %v", c.user, c.pass, c.remote, got)
		}
	}
	if New(nil, Options{}).authenticate(LocalUser, "", lo, lo) {
		t.Error("an empty token admitted the local user")
	}
}
