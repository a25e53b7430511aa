package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// piiProject tags the customers' name and email as personal data; the model `named` selects
// name unchanged (it inherits the tag) and `tiers` holds none.
var piiProject = map[string]string{
	"project.yml":         "name: shop\n",
	"seeds/customers.csv": "id,name,email,tier\n1,ann,ann@x.io,gold\n2,bob,bob@x.io,free\n",
	"seeds/seeds.yml": `seeds:
  - name: customers
    columns:
      - {name: name, meta: {pii: true}}
      - {name: email, meta: {pii: true}}
`,
	"models/named.sql":  "{{ config \"materialized\" \"table\" \"order_by\" \"id\" }}\nselect id, name, tier from {{ ref \"customers\" }}\n",
	"models/models.yml": "models:\n  - name: named\n    columns: [{name: id}, {name: name}, {name: tier}]\n",
	"models/tiers.sql":  "select tier, count() as n from {{ ref \"customers\" }} group by tier\n",
}

// TestServeUserWithoutPII: on dwm serve, a user marked pii: false in the users file reads the
// untagged columns and gets ACCESS_DENIED for any statement that reads a tagged one, however it
// is spelled (SELECT *, WHERE, a subquery, a CTE, an inherited tag, a table function); a user
// with PII access reads everything.
func TestServeUserWithoutPII(t *testing.T) {
	dir := t.TempDir()
	writeProject(t, dir, piiProject)
	env := serveEnv(t)
	build := exec.Command(dwmBinary(t), "build", "--project-dir", dir)
	build.Env = env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	users := filepath.Join(dir, "users.yml")
	hash := "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b" // "secret"
	if err := os.WriteFile(users, []byte("users:\n  dpo:\n    password_sha256_hex: "+hash+"\n"+
		"  analyst:\n    password_sha256_hex: "+hash+"\n    pii: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServe(t, env, "--project-dir", dir, "--users-file", users)
	allowed := map[string]string{
		"SELECT id, tier FROM shop.customers ORDER BY id":                       "1\tgold\n2\tfree\n",
		"SELECT tier, n FROM shop.tiers ORDER BY tier":                          "free\t1\ngold\t1\n",
		"SELECT count() FROM shop.named WHERE tier = 'gold'":                    "1\n",
		"SELECT sum(number) FROM numbers(3)":                                    "3\n",
		"DESCRIBE TABLE shop.customers FORMAT TSV":                              "",
		"SELECT id FROM (SELECT id, tier FROM shop.customers) WHERE tier != ''": "1\n2\n",
	}
	for sql, want := range allowed {
		st, code, body := srv.query(t, "analyst", "secret", sql, nil, nil)
		if st != 200 || (want != "" && body != want) {
			t.Errorf("analyst: %s: %d %s %q, want %q", sql, st, code, body, want)
		}
	}
	for _, sql := range []string{
		"SELECT name FROM shop.customers",
		"SELECT * FROM shop.customers",
		"SELECT id FROM shop.customers WHERE email LIKE 'ann%'",
		"SELECT upper(n) FROM (SELECT name AS n FROM shop.customers)",
		"WITH c AS (SELECT * FROM shop.customers) SELECT id FROM c WHERE length(email) > 3",
		"SELECT name FROM shop.named",
		"SELECT * FROM merge('shop', '^customers$')",
		"SELECT (SELECT name FROM shop.customers ORDER BY id LIMIT 1)", // a scalar subquery the analyzer folds
		"SELECT id FROM shop.customers WHERE id IN (SELECT id FROM shop.customers WHERE name = 'ann')",
		"SELECT dictGet('shop.d', 'name', toUInt64(1))",
		"SELECT toUInt8((SELECT name FROM shop.customers ORDER BY id LIMIT 1))", // its error would quote the value
		"select NAME from shop.customers",                                       // a misspelling the engine refuses on its own
	} {
		st, code, body := srv.query(t, "analyst", "secret", sql, nil, nil)
		if st == 200 || (code != "497" && code != "47") || strings.Contains(body, "ann") {
			t.Errorf("analyst read personal data: %s: %d %s %q", sql, st, code, body)
		}
		if code == "497" && !strings.Contains(body, "personal data") {
			t.Errorf("%s: the refusal does not say why: %q", sql, body)
		}
	}
	if st, code, _ := srv.query(t, "analyst", "secret", "CREATE TABLE shop.copy ENGINE = Memory AS SELECT * FROM shop.customers", nil, nil); st == 200 || (code != "164" && code != "497") {
		t.Errorf("analyst copied the table: %d %s", st, code)
	}
	if _, _, body := srv.query(t, "dpo", "secret", "SELECT name, email FROM shop.customers ORDER BY id", nil, nil); body != "ann\tann@x.io\nbob\tbob@x.io\n" {
		t.Errorf("dpo: %q", body)
	}
}
