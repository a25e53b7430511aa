// Package discovery lets dwm commands find a `dwm serve` that holds a project's embedded
// warehouse. While it runs, serve leaves a small file in the data directory naming its native
// TCP address and a random token for a local user; a command that finds the directory locked by
// that same process connects through it instead of failing.
//
// The file is readable by its owner only (0600), and Read refuses one that anyone else could
// have written or read. The token grants nothing the file system does not already: whoever can
// read the data directory can read the warehouse's files. It is accepted only from this machine
// (see core.AuthenticateLocal and tcp/coreengine), and dies with the server.
package discovery

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// FileName is the discovery file inside the data directory.
const FileName = "dwm-serve.json"

// ErrNotFound means no server left a discovery file in the directory.
var ErrNotFound = errors.New("no dwm serve discovery file")

// Info is what a running server tells local commands.
type Info struct {
	PID int `json:"pid"`
	// TCP is the native protocol's host:port to connect to; empty when serve runs without it.
	TCP string `json:"tcp,omitempty"`
	// HTTP is the HTTP interface's host:port, for people reading the file.
	HTTP  string `json:"http,omitempty"`
	User  string `json:"user"`
	Token string `json:"token"`
}

// NewToken returns a random secret for Info.Token.
func NewToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Write leaves info in dir, readable by its owner only, and returns a function that removes it
// again (unless another server has replaced it since).
func Write(dir string, info Info) (remove func(), err error) {
	b, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	tmp, err := os.CreateTemp(dir, FileName+".*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("discovery file: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone after the rename; left only on failure
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return nil, fmt.Errorf("discovery file: %w", err)
	}
	return func() {
		if cur, err := Read(dir); err == nil && cur.PID == info.PID && cur.Token == info.Token {
			_ = os.Remove(path)
		}
	}, nil
}

// Read returns the info in dir. It fails with ErrNotFound when there is none, and refuses a
// file that is not a regular file owned by the current user and closed to everyone else.
func Read(dir string) (Info, error) {
	path := filepath.Join(dir, FileName)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, ErrNotFound
	}
	if err != nil {
		return Info{}, fmt.Errorf("discovery file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Info{}, fmt.Errorf("discovery file: %w", err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o077 != 0 {
		return Info{}, fmt.Errorf("discovery file %s: mode %v is open to other users; not trusting it", path, st.Mode())
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) != os.Getuid() {
		return Info{}, fmt.Errorf("discovery file %s: owned by uid %d, not by this user; not trusting it", path, sys.Uid)
	}
	var info Info
	if err := json.NewDecoder(f).Decode(&info); err != nil {
		return Info{}, fmt.Errorf("discovery file %s: %w", path, err)
	}
	return info, nil
}
