package pii

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ScrubCSV blanks the personal fields (cols) of the rows whose key column holds one of the erased
// keys, in CSV data with delimiter delim. The result is a function of the input, so a re-run
// gives the same bytes. It returns the new contents and how many rows changed (0: data as is).
func ScrubCSV(path string, data []byte, delim rune, key string, cols []string, erased map[string]bool) ([]byte, int, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = delim
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, 0, fmt.Errorf("%s: header: %w", path, err)
	}
	idx := map[string]int{}
	for i, h := range header {
		idx[h] = i
	}
	k, ok := idx[key]
	if !ok {
		return data, 0, nil
	}
	var blank []int
	for _, c := range cols {
		if i, ok := idx[c]; ok {
			blank = append(blank, i)
		}
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	w.Comma = delim
	_ = w.Write(header)
	changed := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", path, err)
		}
		if k < len(rec) && erased[rec[k]] {
			dirty := false
			for _, i := range blank {
				if i < len(rec) && rec[i] != "" {
					rec[i], dirty = "", true
				}
			}
			if dirty {
				changed++
			}
		}
		_ = w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, 0, err
	}
	if changed == 0 {
		return data, 0, nil
	}
	return out.Bytes(), changed, nil
}

// ReplaceFile writes data beside path and renames it over path (atomic on one file system), so a
// crash leaves the old or the new file, never half of one.
func ReplaceFile(path string, data []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".erasing")
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// SHA256 is the hex checksum the ledger records for a file.
func SHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
