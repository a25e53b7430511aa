package auth

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestUsersFile(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("bob-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	file := `users:
  alice:
    password_sha256_hex: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b # "secret"
  bob:
    password_bcrypt_hash: '` + string(hash) + `'
    readonly: true
  guest:
    no_password: true
    readonly: true
`
	u, err := Load(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, pw string
		ok, ro   bool
	}{
		{"alice", "secret", true, false},
		{"alice", "Secret", false, false},
		{"alice", "", false, false},
		{"bob", "bob-pw", true, true},
		{"bob", "bob-pw", true, true}, // the second time from the cache
		{"bob", "bob-pw ", false, false},
		{"guest", "", true, true},
		{"guest", "x", false, false},
		{"mallory", "secret", false, false},
	}
	for _, c := range cases {
		got, err := u.Authenticate(c.name, c.pw)
		if c.ok != (err == nil) || (c.ok && (got.Name != c.name || got.Readonly != c.ro)) {
			t.Errorf("%s/%q: %+v %v", c.name, c.pw, got, err)
		}
		if err != nil && (!errors.Is(err, ErrAuthentication) || strings.Contains(err.Error(), c.pw) && c.pw != "") {
			t.Errorf("%s: error %v", c.name, err)
		}
	}
	if got := strings.Join(u.Names(), ","); got != "alice,bob,guest" {
		t.Errorf("names %s", got)
	}
}

func TestUsersFileErrors(t *testing.T) {
	for file, want := range map[string]string{
		"users:\n  a:\n    password: x\n":                                                                 "field password not found",
		"users:\n  a:\n    readonly: true\n":                                                              "exactly one",
		"users:\n  a:\n    password_sha256_hex: abc\n":                                                    "64 hex digits",
		"users:\n  a:\n    password_bcrypt_hash: nope\n":                                                  "password_bcrypt_hash",
		"users:\n  a:\n    no_password: true\n    password_sha256_hex: " + strings.Repeat("a", 64) + "\n": "exactly one",
		"users: {}\n": "no users",
	} {
		if _, err := Load(strings.NewReader(file)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", file, err, want)
		}
	}
}

func TestSingle(t *testing.T) {
	u := Single("default", "pw")
	if _, err := u.Authenticate("default", "pw"); err != nil {
		t.Error(err)
	}
	if _, err := u.Authenticate("default", ""); err == nil {
		t.Error("empty password accepted")
	}
	open := Single("default", "")
	if _, err := open.Authenticate("default", ""); err != nil {
		t.Error(err)
	}
	if _, err := open.Authenticate("default", "x"); err == nil {
		t.Error("a password accepted for a user without one")
	}
}
