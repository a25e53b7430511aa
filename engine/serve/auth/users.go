// Package auth holds the users a served warehouse accepts and checks their passwords. Passwords
// are stored only as hashes (SHA-256 or bcrypt, under ClickHouse's users.xml names), compared in
// constant time, and never appear in an error.
package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"
)

// User is who a request authenticated as.
type User struct {
	Name string
	// Readonly users may read and change settings but not write (ClickHouse's readonly=2).
	Readonly bool
	// NoPII users (`pii: false` in the users file) may not read columns tagged as personal data;
	// they are read-only too (docs/gdpr.md).
	NoPII bool
}

// ErrAuthentication is the one error a failed login gets, whatever failed: the user, the
// password, or both.
var ErrAuthentication = errors.New("authentication failed: password is incorrect, or there is no user with such name")

// Users is an immutable set of users. It is safe for concurrent use.
type Users struct {
	byName map[string]*entry
	// bcrypt costs ~50 ms per check, and HTTP clients authenticate every request; a successful
	// check is remembered as an HMAC of user and password under a key that lives only in memory.
	cacheKey []byte
	mu       sync.Mutex
	verified map[string][]byte
	// bcryptSlots bounds the bcrypt checks running at once, so a stream of wrong passwords costs
	// at most that many cores.
	bcryptSlots chan struct{}
}

type entry struct {
	user       User
	sha256     []byte // SHA-256 of the password
	bcrypt     []byte // bcrypt hash of the password
	noPassword bool
}

// Single is the simple case: one user, with the password given (hashed at once) or none when
// password is empty.
func Single(name, password string) *Users {
	e := &entry{user: User{Name: name}, noPassword: password == ""}
	if password != "" {
		sum := sha256.Sum256([]byte(password))
		e.sha256 = sum[:]
	}
	return newUsers(map[string]*entry{name: e})
}

func newUsers(m map[string]*entry) *Users {
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms
	return &Users{byName: m, cacheKey: key, verified: map[string][]byte{}, bcryptSlots: make(chan struct{}, 2)}
}

// fileUser is one user in a users file.
type fileUser struct {
	PasswordSHA256Hex  string `yaml:"password_sha256_hex"`
	PasswordBcryptHash string `yaml:"password_bcrypt_hash"`
	NoPassword         bool   `yaml:"no_password"`
	Readonly           bool   `yaml:"readonly"`
	PII                *bool  `yaml:"pii"`
}

// Load reads a users file:
//
//	users:
//	  alice:
//	    password_sha256_hex: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
//	  bob:
//	    password_bcrypt_hash: $2y$10$…
//	    readonly: true
//	  guest:
//	    no_password: true
//	    readonly: true
//	  analyst:
//	    password_sha256_hex: …
//	    pii: false        # no personal-data columns (and read-only)
//
// Each user has exactly one of the two hashes or says no_password: true. Unknown keys are errors.
func Load(r io.Reader) (*Users, error) {
	var f struct {
		Users map[string]fileUser `yaml:"users"`
	}
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	if len(f.Users) == 0 {
		return nil, errors.New("users file: no users")
	}
	m := map[string]*entry{}
	for _, name := range sortedNames(f.Users) {
		e, err := parseUser(name, f.Users[name])
		if err != nil {
			return nil, fmt.Errorf("users file: user %s: %w", name, err)
		}
		m[name] = e
	}
	return newUsers(m), nil
}

// AnyNoPII reports whether some user may not read personal data.
func (u *Users) AnyNoPII() bool {
	for _, e := range u.byName {
		if e.user.NoPII {
			return true
		}
	}
	return false
}

// LoadFile reads the users file at path.
func LoadFile(path string) (*Users, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	u, err := Load(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return u, nil
}

func parseUser(name string, u fileUser) (*entry, error) {
	if name == "" {
		return nil, errors.New("empty user name")
	}
	e := &entry{user: User{Name: name, Readonly: u.Readonly, NoPII: u.PII != nil && !*u.PII}, noPassword: u.NoPassword}
	n := 0
	if u.PasswordSHA256Hex != "" {
		n++
		h, err := hex.DecodeString(u.PasswordSHA256Hex)
		if err != nil || len(h) != sha256.Size {
			return nil, errors.New("password_sha256_hex is not 64 hex digits")
		}
		e.sha256 = h
	}
	if u.PasswordBcryptHash != "" {
		n++
		if _, err := bcrypt.Cost([]byte(u.PasswordBcryptHash)); err != nil {
			return nil, fmt.Errorf("password_bcrypt_hash: %w", err)
		}
		e.bcrypt = []byte(u.PasswordBcryptHash)
	}
	if u.NoPassword {
		n++
	}
	if n != 1 {
		return nil, errors.New("give exactly one of password_sha256_hex, password_bcrypt_hash, no_password: true")
	}
	return e, nil
}

func sortedNames(m map[string]fileUser) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// dummy is compared against when the user does not exist, so a wrong name costs as long as a
// wrong password.
var dummy = sha256.Sum256([]byte("dwm-no-such-user"))

// Authenticate returns the user name and password identify, or ErrAuthentication.
func (u *Users) Authenticate(name, password string) (User, error) {
	e, ok := u.byName[name]
	if !ok {
		sum := sha256.Sum256([]byte(password))
		subtle.ConstantTimeCompare(sum[:], dummy[:])
		return User{}, ErrAuthentication
	}
	if u.check(e, password) {
		return e.user, nil
	}
	return User{}, ErrAuthentication
}

func (u *Users) check(e *entry, password string) bool {
	switch {
	case e.noPassword:
		return subtle.ConstantTimeCompare([]byte(password), nil) == 1
	case e.sha256 != nil:
		sum := sha256.Sum256([]byte(password))
		return subtle.ConstantTimeCompare(sum[:], e.sha256) == 1
	}
	mac := hmac.New(sha256.New, u.cacheKey)
	mac.Write([]byte(e.user.Name))
	mac.Write([]byte{0})
	mac.Write([]byte(password))
	tag := mac.Sum(nil)
	u.mu.Lock()
	known := u.verified[e.user.Name]
	u.mu.Unlock()
	if known != nil && hmac.Equal(known, tag) {
		return true
	}
	u.bcryptSlots <- struct{}{}
	err := bcrypt.CompareHashAndPassword(e.bcrypt, []byte(password))
	<-u.bcryptSlots
	if err != nil {
		return false
	}
	u.mu.Lock()
	u.verified[e.user.Name] = tag
	u.mu.Unlock()
	return true
}

// Names lists the users, sorted.
func (u *Users) Names() []string {
	out := make([]string, 0, len(u.byName))
	for k := range u.byName {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
