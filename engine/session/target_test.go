package session

import (
	"context"
	"strings"
	"testing"

	"github.com/dwmhq/dwm/engine/project"
)

// TestOpenTargetPassesClusterMode: the target's cluster layout reaches the server target, which
// checks it before connecting (so no server is needed here).
func TestOpenTargetPassesClusterMode(t *testing.T) {
	_, err := OpenTarget(context.Background(), project.Target{Type: "clickhouse", Host: "127.0.0.1", Port: 1,
		Cluster: "main", ClusterMode: "mirrored"}, t.TempDir(), 1)
	if err == nil || !strings.Contains(err.Error(), `unknown cluster mode "mirrored"`) {
		t.Fatalf("err = %v", err)
	}
}
