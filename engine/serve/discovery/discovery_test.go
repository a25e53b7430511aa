package discovery

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReadRemove(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(dir); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty dir: %v", err)
	}
	token, err := NewToken()
	if err != nil || len(token) != 48 {
		t.Fatalf("token %q, %v", token, err)
	}
	info := Info{PID: 42, TCP: "127.0.0.1:9000", HTTP: "127.0.0.1:8123", User: "dwm_local", Token: token}
	remove, err := Write(dir, info)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
	if got, err := Read(dir); err != nil || got != info {
		t.Fatalf("read %+v, %v", got, err)
	}
	// A newer server's file is not removed by the older one's cleanup.
	newer := info
	newer.PID = 43
	removeNewer, err := Write(dir, newer)
	if err != nil {
		t.Fatal(err)
	}
	remove()
	if got, err := Read(dir); err != nil || got.PID != 43 {
		t.Fatalf("after the old server left: %+v, %v", got, err)
	}
	removeNewer()
	if _, err := Read(dir); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after removal: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestReadRefusesOpenFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, []byte(`{"pid":1,"token":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "open to other users") {
		t.Errorf("world-readable file: %v", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir); err == nil {
		t.Error("malformed file accepted")
	}
}
