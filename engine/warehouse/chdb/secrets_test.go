package chdb

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/warehouse"
)

// TestWithSecretsOnTheEngine: a statement's placeholder reaches the engine as the value, and an
// error that quotes the statement (as ClickHouse's do) comes back with the placeholder, both in
// its message and in its SQL.
func TestWithSecretsOnTheEngine(t *testing.T) {
	w := openTest(t, Options{})
	const ph, secret = "'<dwm secret: s3.secret_access_key>'", "it's-a-S3cr3t/\\value"
	wh := warehouse.WithSecrets(w, map[string]string{ph: "'it\\'s-a-S3cr3t/\\\\value'"})
	ctx := context.Background()
	res, err := wh.Query(ctx, "SELECT "+ph+" AS v")
	if err != nil || res.String(0, 0) != secret {
		t.Fatalf("the engine got %v, %v; want the value", res, err)
	}
	// The value is quoted back in an error about an unknown column (checked unwrapped first, so
	// the test proves the scrubbing).
	bad := "SELECT " + ph + " AS v, no_such_column"
	if _, raw := w.Exec(ctx, strings.Replace(bad, ph, "'it\\'s-a-S3cr3t/\\\\value'", 1)); raw == nil || !strings.Contains(raw.Error(), "S3cr3t") {
		t.Fatalf("the engine's error does not quote the statement, so this test proves nothing: %v", raw)
	}
	_, err = wh.Exec(ctx, bad)
	var qe *warehouse.QueryError
	if !errors.As(err, &qe) {
		t.Fatalf("want a QueryError, got %v", err)
	}
	if strings.Contains(err.Error(), "S3cr3t") || strings.Contains(qe.SQL, "S3cr3t") || !strings.Contains(qe.SQL, ph) {
		t.Errorf("the secret leaked or the placeholder is gone:\nmessage: %s\nSQL: %s", err, qe.SQL)
	}
	// Rows sent through the wrapper are data: a placeholder in them is stored as written.
	mustExec(t, w, "CREATE TABLE default.sec_rows (_row UInt64, v String) ENGINE = Memory")
	if _, err := warehouse.Insert(ctx, wh, "default.sec_rows", []string{"_row", "v"}, []any{[]uint64{1}, []string{ph}}); err != nil {
		t.Fatal(err)
	}
	if got := mustQuery1(t, w, "SELECT v FROM default.sec_rows"); got != ph {
		t.Errorf("inserted %q, want the placeholder text", got)
	}
}
