// Package sandbox keeps a served warehouse's SQL inside its own data: no reading or writing the
// machine's files, no network except the object store the operator configured, no programs, no
// stopping or reconfiguring the engine. It works in two layers, each covering what the other
// cannot:
//
//   - The engine's own access control. Config writes the configuration the engine boots with:
//     its "default" user, as which every statement runs, holds only the grants a warehouse needs
//     (no FILE, URL, REMOTE, SYSTEM, dictionaries, BACKUP…), reads and writes s3() and url() only
//     under the operator's URL prefixes (ClickHouse's GRANT READ, WRITE ON S3('regexp')), and has
//     settings that read or write files pinned by profile constraints. Paths for user files,
//     scripts and format schemas point into an empty private directory.
//   - Check, for what libchdb's access control does not gate (it runs as clickhouse-local, where
//     paths are not confined): the scalar file() function, INTO OUTFILE and FROM INFILE (done by
//     the client side of the engine), executable(), disk(), table engines that run programs,
//     reach the network or write outside the data directory, and statements that control the
//     engine. Check reads the statement with chsql's lexer and refuses what it cannot place.
//
// Every refusal is tested on the real engine (sandbox_test.go), and docs/serve.md lists them.
package sandbox

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Policy is what a served warehouse's SQL may reach.
type Policy struct {
	// Off turns the sandbox off, the operator's explicit opt-in: statements run with the engine's
	// full default rights, which include the serving user's files and the network.
	Off bool
	// URLs are the URL prefixes (scheme, host, port and optionally a path) that s3() and url() may
	// read and write: the operator's object store. Nothing else on the network is reachable.
	URLs []string
}

// grants are what the sandboxed user may do on the warehouse's own data.
const grants = `GRANT SELECT, INSERT, ALTER, CREATE DATABASE, CREATE TABLE, CREATE VIEW, CREATE TEMPORARY TABLE,
 CREATE FUNCTION, DROP, TRUNCATE, OPTIMIZE, SHOW, KILL QUERY, dictGet, UNDROP TABLE, CHECK ON *.*`

// collectionGrants let clients keep object-store credentials in named collections (used as
// s3(name, …)) without being able to read them back (no SHOW NAMED COLLECTIONS SECRETS).
const collectionGrants = `GRANT CREATE NAMED COLLECTION, ALTER NAMED COLLECTION, DROP NAMED COLLECTION,
 SHOW NAMED COLLECTIONS, NAMED COLLECTION ON *`

// pinnedSettings name files or reach the network, so the profile forbids changing them:
// format_schema, format_template_row and friends read any file (and print it in the error),
// output_format_schema and input_format_record_errors_file_path write one, the Avro schema
// registry is fetched over the network, redirects could lead a permitted URL elsewhere, eval()
// runs SQL given as a string, introspection reads the process's memory map, another dialect
// (PRQL's s-strings, Kusto) would carry SQL past Check, which reads ClickHouse SQL, and the Values
// format would evaluate expressions found in data (INSERT … VALUES (file('…')), format(Values, …)),
// which Check never reads: with these two off, Values takes literals only.
var pinnedSettings = []string{
	"format_schema", "format_schema_source", "format_schema_message_name", "format_template_resultset",
	"format_template_row", "format_template_resultset_format", "format_template_row_format",
	"output_format_schema", "input_format_record_errors_file_path", "format_avro_schema_registry_url",
	"max_http_get_redirects", "jemalloc_enable_profiler", "into_outfile_create_parent_directories",
	"allow_experimental_eval_table_function", "allow_introspection_functions", "dialect",
	"input_format_values_interpret_expressions", "input_format_values_deduce_templates_of_expressions",
}

// pinnedValues are pinned settings whose value is not the engine's default.
var pinnedValues = map[string]string{
	"allow_introspection_functions":                       "0",
	"input_format_values_interpret_expressions":           "0",
	"input_format_values_deduce_templates_of_expressions": "0",
}

// Config writes the engine configuration for p into dir (created 0700 if missing) and returns
// the path to pass as the engine's config file. With p.Off it writes nothing and returns "".
func Config(p Policy, dir string) (string, error) {
	if p.Off {
		return "", nil
	}
	empty := filepath.Join(dir, "empty")
	if err := os.MkdirAll(empty, 0o700); err != nil {
		return "", fmt.Errorf("sandbox config: %w", err)
	}
	users, err := usersXML(p)
	if err != nil {
		return "", err
	}
	usersPath := filepath.Join(dir, "users.xml")
	if err := os.WriteFile(usersPath, []byte(users), 0o600); err != nil {
		return "", fmt.Errorf("sandbox config: %w", err)
	}
	emptyDir := xmlText(empty + "/")
	config := "<clickhouse>\n" +
		"  <users_config>" + xmlText(usersPath) + "</users_config>\n" +
		"  <user_files_path>" + emptyDir + "</user_files_path>\n" +
		"  <user_scripts_path>" + emptyDir + "</user_scripts_path>\n" +
		"  <format_schema_path>" + emptyDir + "</format_schema_path>\n" +
		"</clickhouse>\n"
	path := filepath.Join(dir, "config.xml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		return "", fmt.Errorf("sandbox config: %w", err)
	}
	return path, nil
}

func usersXML(p Policy) (string, error) {
	var q []string
	q = append(q, grants, collectionGrants)
	for _, u := range p.URLs {
		re, err := urlPattern(u)
		if err != nil {
			return "", err
		}
		lit := "'" + strings.ReplaceAll(strings.ReplaceAll(re, `\`, `\\`), "'", `\'`) + "'"
		q = append(q, "GRANT READ, WRITE ON S3("+lit+")", "GRANT READ, WRITE ON URL("+lit+")")
	}
	var b strings.Builder
	b.WriteString("<clickhouse>\n  <users>\n    <default>\n      <password></password>\n")
	b.WriteString("      <profile>default</profile>\n      <quota>default</quota>\n      <grants>\n")
	for _, g := range q {
		b.WriteString("        <query>" + xmlText(strings.ReplaceAll(g, "\n", "")) + "</query>\n")
	}
	b.WriteString("      </grants>\n    </default>\n  </users>\n")
	b.WriteString("  <profiles>\n    <default>\n")
	for _, k := range sortedKeys(pinnedValues) {
		b.WriteString("      <" + k + ">" + pinnedValues[k] + "</" + k + ">\n")
	}
	b.WriteString("      <constraints>\n")
	for _, s := range pinnedSettings {
		b.WriteString("        <" + s + "><const/></" + s + ">\n")
	}
	b.WriteString("      </constraints>\n    </default>\n  </profiles>\n  <quotas><default/></quotas>\n</clickhouse>\n")
	return b.String(), nil
}

// urlPattern turns a URL prefix into the regular expression a source grant matches against
// whole URLs. A prefix without a path ends at its host and port, so "http://h:9000" admits
// "http://h:9000/…" but not "http://h:90001/…" or "http://h:9000.example/…".
func urlPattern(prefix string) (string, error) {
	u, err := url.Parse(prefix)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("sandbox: %q is not an http(s) URL prefix (scheme://host[:port][/path])", prefix)
	}
	p := u.Scheme + "://" + u.Host + u.EscapedPath()
	if u.Path == "" {
		p += "/"
	}
	return regexp.QuoteMeta(p) + ".*", nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
