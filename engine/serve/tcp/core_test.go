package tcp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/dwmhq/dwm/engine/serve/auth"
	"github.com/dwmhq/dwm/engine/serve/core"
	"github.com/dwmhq/dwm/engine/serve/tcp"
)

// sha256 of "tcp-test-Pw!7" (password) and of "reader-Pw".
const usersFile = `users:
  default:
    password_sha256_hex: 59f7c99a33679d9431111ede9e59070c64325ac13fb6294af27ff1354eeda181
  reader:
    password_sha256_hex: e8629da4ef5d8444c9fddd5dd583edf0c98270f050f1e1e02f05e71c0b5a119e
    readonly: true
`

// exception fails t unless err is a ClickHouse exception with code.
func exception(t *testing.T, what string, err error, code int32) {
	t.Helper()
	var ex *clickhouse.Exception
	if !errors.As(err, &ex) || ex.Code != code {
		t.Errorf("%s: got %v, want exception %d", what, err, code)
	}
}

// TestCoreRules: the native endpoint runs on dwm serve's core, so it applies what HTTP applies:
// users and read-only users, the sandbox, per-user statement slots, KILL QUERY by query_id,
// SET readonly for the connection only, and the local user admitted by token only.
func TestCoreRules(t *testing.T) {
	users, err := auth.Load(strings.NewReader(usersFile))
	if err != nil {
		t.Fatal(err)
	}
	const token = "local-token-0123456789"
	_, addr, db, _ := startCore(t, tcp.Options{}, core.Options{Users: users, LocalToken: token,
		Limits: core.Limits{MaxQueriesPerUser: 2, QueueWait: time.Second}})
	ctx := context.Background()
	admin := open(t, addr, db, nil)
	if err := admin.Exec(ctx, "CREATE TABLE t (a UInt8) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}

	// A read-only user reads and is refused writes; so is a connection after SET readonly = 1,
	// and only that connection.
	reader := open(t, addr, db, func(o *clickhouse.Options) { o.Auth.Username, o.Auth.Password = "reader", "reader-Pw" })
	var n uint64
	if err := reader.QueryRow(ctx, "SELECT count() FROM t").Scan(&n); err != nil {
		t.Errorf("read-only user reads: %v", err)
	}
	exception(t, "read-only user creates", reader.Exec(ctx, "CREATE TABLE r (a UInt8) ENGINE = Memory"), 164)
	if b, err := reader.PrepareBatch(ctx, "INSERT INTO t"); err == nil {
		t.Error("read-only user: PrepareBatch of an INSERT succeeded")
		_ = b.Abort()
	} else {
		exception(t, "read-only user inserts", err, 164)
	}
	ro := open(t, addr, db, nil)
	if err := ro.Exec(ctx, "SET readonly = 1"); err != nil {
		t.Fatal(err)
	}
	exception(t, "after SET readonly = 1", ro.Exec(ctx, "INSERT INTO t VALUES (1)"), 164)
	if err := admin.Exec(ctx, "INSERT INTO t VALUES (1)"); err != nil {
		t.Errorf("another connection after SET readonly = 1 elsewhere: %v", err)
	}

	// The sandbox.
	for _, q := range []string{
		"SELECT * FROM file('/etc/passwd', 'LineAsString')",
		"SELECT file('/etc/passwd')",
		"SYSTEM SHUTDOWN",
		"INSERT INTO FUNCTION url('http://127.0.0.1:1/x', 'CSV', 'a UInt8') SELECT 1",
	} {
		exception(t, q, admin.Exec(ctx, q), 497)
	}

	// KILL QUERY by query_id stops the user's own statement.
	done := make(chan error, 1)
	go func() {
		qctx := clickhouse.Context(ctx, clickhouse.WithQueryID("tcp-kill-me"))
		done <- admin.QueryRow(qctx, "SELECT count() FROM numbers(100000000000) -- tcp_kill").Scan(new(uint64))
	}()
	other := open(t, addr, db, nil)
	for deadline := time.Now().Add(15 * time.Second); running(t, "tcp_kill") == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the statement to kill never started")
		}
	}
	if err := other.Exec(ctx, "KILL QUERY WHERE query_id = 'tcp-kill-me'"); err != nil {
		t.Errorf("KILL QUERY: %v", err)
	}
	select {
	case err := <-done:
		exception(t, "killed statement", err, 394)
	case <-time.After(15 * time.Second):
		t.Fatal("KILL QUERY did not stop the statement")
	}
	waitStopped(t, "tcp_kill")

	// Per-user slots: with two statements of default running, a third is refused at once.
	slow := func(marker string, out chan<- error) {
		c := open(t, addr, db, nil)
		out <- c.QueryRow(ctx, "SELECT sleepEachRow(0.5) FROM numbers(6) -- "+marker).Scan(new(uint8))
	}
	held := make(chan error, 2)
	go slow("tcp_slot_a", held)
	go slow("tcp_slot_b", held)
	for deadline := time.Now().Add(15 * time.Second); running(t, "tcp_slot_") < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the slot holders never ran")
		}
	}
	exception(t, "third statement of the user", other.QueryRow(ctx, "SELECT 1").Scan(new(uint8)), 202)
	if err := reader.QueryRow(ctx, "SELECT 1").Scan(new(uint8)); err != nil {
		t.Errorf("another user meanwhile: %v", err)
	}
	for range 2 {
		<-held
	}

	// The local user: only with the token (from loopback here), never with a password login.
	local := func(user, pw string) error {
		c, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, Auth: clickhouse.Auth{Username: user, Password: pw, Database: db}})
		if err != nil {
			return err
		}
		defer c.Close()
		return c.Ping(ctx)
	}
	if err := local(core.LocalUser, token); err != nil {
		t.Errorf("local user with the token: %v", err)
	}
	exception(t, "local user with a wrong token", local(core.LocalUser, "nope"), 516)
	exception(t, "local user without a token", local(core.LocalUser, ""), 516)
}
