package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/materialize"
	"github.com/dwmhq/dwm/engine/warehouse"
	"github.com/dwmhq/dwm/engine/warehouse/server"
)

// TestClusterOpenChecksTheServer opens a cluster target against a real endpoint whose server
// (ClickHouse 26.7 behind dwm serve) defines no cluster: Open must say so before any model runs.
func TestClusterOpenChecksTheServer(t *testing.T) {
	_, port := endpoint(t)
	db := database(t)
	opts := server.Options{Host: "127.0.0.1", Port: port, Protocol: server.ProtocolHTTP, Password: testPassword, Database: db, Cluster: "main"}
	w, err := server.Open(context.Background(), opts)
	if err == nil {
		w.Close()
		t.Fatal("Open accepted a cluster the server does not know")
	}
	if !strings.Contains(err.Error(), `does not know cluster "main"`) || strings.Contains(err.Error(), testPassword) {
		t.Fatalf("err = %v", err)
	}
	opts.ClusterMode = "mirrored"
	if _, err := server.Open(context.Background(), opts); err == nil || !strings.Contains(err.Error(), `unknown cluster mode "mirrored"`) {
		t.Fatalf("err = %v", err)
	}
}

// TestCreateDatabaseSQLMatchesMaterialize holds Open's CREATE DATABASE equal to the one the
// session runs for every other database (materialize.CreateDatabase).
func TestCreateDatabaseSQLMatchesMaterialize(t *testing.T) {
	for _, caps := range []warehouse.Capabilities{
		{},
		{Cluster: "main", Replicated: true},
		{Cluster: "main", Replicated: true, Sharded: true},
		{Cluster: "main", Replicated: true, ReplicatedDatabase: true},
	} {
		if got, want := server.CreateDatabaseSQL("a`b", caps), materialize.CreateDatabase("a`b", caps); got != want {
			t.Errorf("%+v: server %q, materialize %q", caps, got, want)
		}
	}
}
