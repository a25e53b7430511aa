package cdc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/objstore"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/internal/s3test"
)

// s3Project is a project whose files are objects on a real S3 server (versitygw), read by the
// embedded engine with s3() through a connection that fills in the keys.
func s3Project(t *testing.T) (*project, warehouse.Warehouse, *s3test.Server) {
	t.Helper()
	local, db := testDB(t)
	srv := s3test.Start(t)
	srv.CreateBucket(t, "lake")
	store, err := objstore.New(objstore.Config{Target: "test", Endpoint: srv.Endpoint, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	p := newProject(t, db)
	p.store = store
	return p, warehouse.WithSecrets(local, store.Secrets()), srv
}

func TestStagingFromObjects(t *testing.T) {
	p, wh, srv := s3Project(t)
	db := p.db
	n := usersStaging(p)
	n.Config.Raw["files"] = "s3://lake/cdc/*/users.csv"
	w1 := "\ufeff" + usersHeader +
		"INSERT,1,ann,1,false,2026-01-05 00:00:00\n" +
		"INSERT,x2,bob,1,false,2026-01-05 00:00:00\n" +
		"UPSERT,3,cid,1,false,2026-01-05 00:00:00\n"
	w2 := usersHeader + "UPDATE,1,ann,2,false,2026-01-12 00:00:00\n"
	srv.Put(t, "lake", "cdc/w001/users.csv", []byte(w1))
	srv.Put(t, "lake", "cdc/w002/users.csv", []byte(w2))
	srv.Put(t, "lake", "cdc/w002/notes.txt", []byte("not matched by the glob"))

	// Every statement as the run log records it: placeholders, never the keys.
	var logged []string
	in, steps, err := p.plan(t, wh, n, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := materialize.Execute(context.Background(), wh, steps, func(sql string) { logged = append(logged, sql) }); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(logged, "\n")
	if strings.Contains(all, srv.SecretKey) || strings.Contains(all, srv.AccessKey) || !strings.Contains(all, "<dwm secret: s3.secret_access_key>") {
		t.Errorf("run log holds the keys or no placeholder:\n%s", all)
	}
	reg := materialize.Default()
	_ = Register(reg)
	if msg, _, err := reg.Report(context.Background(), wh, in); err != nil || msg != "2 files, 2 rows loaded, 2 quarantined" {
		t.Errorf("report = %q, %v", msg, err)
	}
	want := "INSERT|1|ann|1|s3://lake/cdc/w001/users.csv|1|1\nUPDATE|1|ann|2|s3://lake/cdc/w002/users.csv|1|2"
	if got := rows(t, wh, "SELECT op, user_id, username, tier, _file, _row, _load_seq FROM "+db+".users_staging ORDER BY _load_seq, _row"); got != want {
		t.Errorf("staging =\n%s\nwant\n%s", got, want)
	}
	if got := rows(t, wh, "SELECT _row, reason FROM "+db+".users_staging__quarantine ORDER BY _row"); got !=
		"2|user_id: cannot parse 'x2' as UInt64\n3|op: 'UPSERT' is not INSERT, UPDATE or DELETE" {
		t.Errorf("quarantine =\n%s", got)
	}
	if got := rows(t, wh, "SELECT file, sha256, etag != '', size, delivered, loaded, quarantined FROM "+db+".dwm_ledger ORDER BY seq"); got !=
		fmt.Sprintf("s3://lake/cdc/w001/users.csv||1|%d|3|1|2\ns3://lake/cdc/w002/users.csv||1|%d|1|1|0", len(w1), len(w2)) {
		t.Errorf("ledger =\n%s", got)
	}
	if got := p.mustRun(t, wh, n, "", false); got != "no new files" {
		t.Errorf("second run: %q", got)
	}

	// An object rewritten after it was loaded is an error naming it; nothing is loaded.
	srv.Put(t, "lake", "cdc/w001/users.csv", []byte(usersHeader+"INSERT,1,ann,9,false,2026-01-05 00:00:00\n"))
	srv.Put(t, "lake", "cdc/w003/users.csv", []byte(usersHeader+"UPDATE,1,ann,3,false,2026-01-19 00:00:00\n"))
	_, err = p.run(t, wh, n, "", false)
	if !errors.Is(err, ErrFileChanged) || !strings.Contains(err.Error(), "s3://lake/cdc/w001/users.csv") || !strings.Contains(err.Error(), "ETag") {
		t.Fatalf("rewritten object: %v", err)
	}
	if got := rows(t, wh, "SELECT count() FROM "+db+".dwm_ledger"); got != "2" {
		t.Errorf("ledger rows after the refused run: %s", got)
	}
	// A full refresh reloads the objects as they are now.
	p.mustRun(t, wh, n, "", true)
	if got := rows(t, wh, "SELECT count(), sum(tier) FROM "+db+".users_staging"); got != "3|14" {
		t.Errorf("after full refresh: %s", got)
	}
}

// TestObjectStoreErrors: an endpoint that is down, wrong keys and no store at all end in errors
// that say what failed, and none holds a key.
func TestObjectStoreErrors(t *testing.T) {
	p, _, srv := s3Project(t)
	local := shared.Warehouse(t)
	n := usersStaging(p)
	n.Config.Raw["files"] = "s3://lake/cdc/*/users.csv"
	srv.Put(t, "lake", "cdc/w001/users.csv", []byte(usersHeader+"INSERT,1,ann,1,false,2026-01-05 00:00:00\n"))

	srv.Stop()
	_, err := p.run(t, warehouse.WithSecrets(local, p.store.Secrets()), n, "", false)
	if err == nil || !strings.Contains(err.Error(), "list s3://lake/cdc/*/users.csv at "+srv.Endpoint) || !strings.Contains(err.Error(), "Connection refused") {
		t.Errorf("endpoint down: %v", err)
	}
	srv2 := s3test.Start(t)
	srv2.CreateBucket(t, "lake")
	bad, err := objstore.New(objstore.Config{Endpoint: srv2.Endpoint, AccessKeyID: srv2.AccessKey, SecretAccessKey: "wrong-secret-0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	p.store = bad
	_, err = p.run(t, warehouse.WithSecrets(local, bad.Secrets()), n, "", false)
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") || strings.Contains(err.Error(), "wrong-secret-0123456789") {
		t.Errorf("wrong secret: %v", err)
	}
	p.store = nil
	if _, err := p.run(t, local, n, "", false); !errors.Is(err, objstore.ErrNotConfigured) {
		t.Errorf("no object store: %v", err)
	}
}

// TestSCD2RebuildsWhenObjectWasReloaded: an scd2 history over a staging model fed from object
// storage notices, like one over local files, that staging no longer holds the object content a
// batch consumed (a corrected object reloaded by an interrupted staging --full-refresh). Objects
// have no sha256 in the ledger; their fingerprint there is ETag and size. It failed before: the
// empty sha256 made the history skip the check and keep the old first version.
func TestSCD2RebuildsWhenObjectWasReloaded(t *testing.T) {
	p, wh, srv := s3Project(t)
	db := p.db
	stg := usersStaging(p)
	stg.Config.Raw["files"] = "s3://lake/cdc/*/users.csv"
	n, sql := usersSCD2(p)
	for i, w := range weeks[:2] {
		srv.Put(t, "lake", "cdc/w00"+string(rune('1'+i))+"/users.csv", []byte(w))
		p.mustRun(t, wh, stg, "", false)
		p.mustRun(t, wh, n, sql, false)
	}
	srv.Put(t, "lake", "cdc/w001/users.csv", []byte(strings.Replace(weeks[0], "INSERT,2,bob,1", "INSERT,2,rob,1", 2)))
	srv.Put(t, "lake", "cdc/w003/users.csv", []byte(weeks[2]))
	_, steps, err := p.plan(t, wh, stg, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := executeSteps(wh, steps[:stepIndex(t, steps, "commit s3://lake/cdc/w001/users.csv")+1]); err != nil {
		t.Fatal(err)
	}
	p.mustRun(t, wh, stg, "", false)
	msg := p.mustRun(t, wh, n, sql, false)
	if !strings.Contains(msg, "rebuilt from scratch because batch 1 consumed s3://lake/cdc/w001/users.csv") || !strings.Contains(msg, "3 batches") {
		t.Errorf("report = %q", msg)
	}
	if names := rows(t, wh, "SELECT username FROM "+db+".users WHERE user_id = 2 AND version = 1"); names != "rob" {
		t.Errorf("user 2 was first called %s after the rebuild", names)
	}
	if un := rows(t, wh, "SELECT countIf(NOT processed) FROM "+db+".users_staging"); un != "0" {
		t.Errorf("%s staging rows unprocessed", un)
	}
}
