package serve_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/dwmhq/dwm/engine/serve"
	"github.com/dwmhq/dwm/engine/serve/core"
)

// TestLocalUserNotOverHTTP: the local user's token admits dwm commands over the native endpoint
// only; over HTTP the name is refused whatever the password, the token included.
func TestLocalUserNotOverHTTP(t *testing.T) {
	const token = "local-token-for-http-test"
	e := start(t, core.Options{LocalToken: token}, serve.Options{})
	for _, pw := range []string{token, "", password} {
		req, _ := http.NewRequest(http.MethodGet, e.base+"/?"+url.Values{"query": {"SELECT 1"}}.Encode(), nil)
		req.SetBasicAuth(core.LocalUser, pw)
		refused(t, "dwm_local over HTTP", do(t, req), 403, "516")
	}
}
