package cli

import (
	"testing"
	"time"

	"github.com/dwmhq/dwm/engine/pii"
)

// TestPIILine pins a line of `dwm ls -o pii`: own and inherited columns, and a data subject with
// its key and, when it has one, its erasure window.
func TestPIILine(t *testing.T) {
	tags := &pii.Tags{
		Columns: map[string][]pii.Column{
			"users":         {{Name: "username", From: "users_staging"}, {Name: "email", From: "users"}},
			"user_activity": {{Name: "session_id", From: "event_stream"}},
		},
		Subjects: []pii.Subject{{Model: "users", Key: "user_id", Within: 30 * 24 * time.Hour}},
	}
	for model, want := range map[string]string{
		"users":         "users: username (from users_staging), email [data subject, key user_id, upstream deletions erased within 30d]",
		"user_activity": "user_activity: session_id (from event_stream)",
		"mart":          "",
	} {
		if got := piiLine(tags, model); got != want {
			t.Errorf("piiLine(%s) = %q, want %q", model, got, want)
		}
	}
	tags.Subjects[0].Within = 0
	if got := piiLine(tags, "users"); got != "users: username (from users_staging), email [data subject, key user_id]" {
		t.Errorf("without a window: %q", got)
	}
}
