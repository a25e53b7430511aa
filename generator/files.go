package generator

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// FileInfo describes one written file in a manifest.
type FileInfo struct {
	Name   string `json:"name"`
	Rows   int64  `json:"rows"` // data rows, header excluded
	SHA256 string `json:"sha256"`
}

// csvFile is a buffered CSV output that hashes what it writes. A nil *csvFile (dry run) accepts and
// drops everything, so the simulation runs the same code whether or not it writes.
type csvFile struct {
	name string
	f    *os.File
	bw   *bufio.Writer
	h    hash.Hash
	rows int64
}

func createCSV(dir, name, header string) (*csvFile, error) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	c := &csvFile{name: name, f: f, h: sha256.New()}
	c.bw = bufio.NewWriterSize(io.MultiWriter(f, c.h), 1<<20)
	if _, err := c.bw.WriteString(header + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	return c, nil
}

// Write appends raw bytes (whole rows; the caller counts them with addRows).
func (c *csvFile) Write(p []byte) (int, error) {
	if c == nil {
		return len(p), nil
	}
	n, err := c.bw.Write(p)
	if err != nil {
		return n, fmt.Errorf("write %s: %w", c.name, err)
	}
	return n, nil
}

// writeChunk writes a large block of whole rows, hashing it on another goroutine while the write
// system call runs: for the clickstream, hashing and writing are each as slow as generating, and doing
// them one after the other made the single writer the bottleneck.
func (c *csvFile) writeChunk(p []byte) error {
	if c == nil {
		return nil
	}
	if err := c.bw.Flush(); err != nil { // earlier buffered rows go first, to the file and the hash
		return fmt.Errorf("write %s: %w", c.name, err)
	}
	hashed := make(chan struct{})
	go func() {
		c.h.Write(p)
		close(hashed)
	}()
	_, err := c.f.Write(p)
	<-hashed
	if err != nil {
		return fmt.Errorf("write %s: %w", c.name, err)
	}
	return nil
}

func (c *csvFile) addRows(n int64) {
	if c != nil {
		c.rows += n
	}
}

// row writes one formatted row and counts it.
func (c *csvFile) row(b []byte) error {
	if c == nil {
		return nil
	}
	c.rows++
	_, err := c.Write(b)
	return err
}

// close flushes and closes the file and reports it for the manifest.
func (c *csvFile) close() (FileInfo, error) {
	if c == nil {
		return FileInfo{}, nil
	}
	err := c.bw.Flush()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return FileInfo{}, fmt.Errorf("close %s: %w", c.name, err)
	}
	return FileInfo{Name: c.name, Rows: c.rows, SHA256: hex.EncodeToString(c.h.Sum(nil))}, nil
}

// abort closes the file after a failure; the error that caused it is the one worth reporting.
func (c *csvFile) abort() {
	if c != nil {
		c.f.Close()
	}
}

// writeJSON writes v as indented JSON, the format of manifest.json.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}
