// Package project loads a dwm project from a filesystem: project.yml, models, macros, seeds,
// YAML property files and tests, into a manifest of plain nodes plus their parsed templates.
// It never talks to a warehouse.
package project

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"

	"github.com/dwmhq/dwm/engine/tmpl"
	"gopkg.in/yaml.v3"
)

// FileName is the project file at the project root.
const FileName = "project.yml"

// File is project.yml.
type File struct {
	Name       string            `yaml:"name"`
	Version    any               `yaml:"version"`
	Target     string            `yaml:"target"`
	Targets    map[string]Target `yaml:"targets"`
	Vars       map[string]any    `yaml:"vars"`
	ModelPaths []string          `yaml:"model-paths"`
	SeedPaths  []string          `yaml:"seed-paths"`
	MacroPaths []string          `yaml:"macro-paths"`
	TestPaths  []string          `yaml:"test-paths"`
	TargetPath string            `yaml:"target-path"`
	Models     yaml.Node         `yaml:"models"`
	Seeds      yaml.Node         `yaml:"seeds"`
	Tests      yaml.Node         `yaml:"tests"`
	DataTests  yaml.Node         `yaml:"data_tests"`
}

// Target is one warehouse connection. Password is never printed; see Redacted.
type Target struct {
	Type     string `yaml:"type" json:"type"`         // chdb (default) or clickhouse
	Path     string `yaml:"path" json:"path"`         // chdb data directory, relative to the project
	Database string `yaml:"database" json:"database"` // default database for relations
	Library  string `yaml:"library" json:"library"`   // chdb: explicit libchdb.so path
	Host     string `yaml:"host" json:"host"`
	Port     int    `yaml:"port" json:"port"`
	User     string `yaml:"user" json:"user"`
	Password string `yaml:"password" json:"-"`
	Secure   bool   `yaml:"secure" json:"secure"`
	Protocol string `yaml:"protocol" json:"protocol"` // clickhouse: native (default) or http
	Cluster  string `yaml:"cluster" json:"cluster"`
	// Cluster layout (clickhouse with cluster only; see ClusterMode* and checkCluster).
	ClusterMode    string            `yaml:"cluster_mode" json:"cluster_mode,omitempty"`
	ShardingKey    string            `yaml:"sharding_key" json:"sharding_key,omitempty"`
	DatabaseEngine string            `yaml:"database_engine" json:"database_engine,omitempty"`
	Threads        int               `yaml:"threads" json:"threads"`
	Settings       map[string]string `yaml:"settings" json:"settings"`
	// S3 is how the target reaches object storage (files: s3://...). Its keys are never printed.
	S3 S3 `yaml:"s3" json:"s3"`
}

// S3 is a target's object storage. Empty values fall back to the AWS tools' environment
// variables (AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN); values may read other variables with {{ env_var "NAME" }}.
type S3 struct {
	Endpoint        string `yaml:"endpoint" json:"endpoint,omitempty"`
	Region          string `yaml:"region" json:"region,omitempty"`
	AccessKeyID     string `yaml:"access_key_id" json:"-"`
	SecretAccessKey string `yaml:"secret_access_key" json:"-"`
	SessionToken    string `yaml:"session_token" json:"-"`
	// Credentials is "dwm" (the default: dwm sends the keys with each read) or "server" (dwm
	// sends none; the ClickHouse server uses its own, from its environment or an instance role).
	Credentials string `yaml:"credentials" json:"credentials,omitempty"`
}

var envRe = regexp.MustCompile(`\{\{\s*env_var\s+"([^"]+)"(?:\s+"([^"]*)")?\s*\}\}`)

// resolveEnv expands {{ env_var "NAME" "default" }} in target settings, so secrets live in the
// environment rather than in project.yml.
func resolveEnv(s string, getenv func(string) (string, bool)) (string, error) {
	var missing error
	out := envRe.ReplaceAllStringFunc(s, func(m string) string {
		g := envRe.FindStringSubmatch(m)
		if v, ok := getenv(g[1]); ok {
			return v
		}
		if strings.Contains(m, `" "`) || len(g[2]) > 0 {
			return g[2]
		}
		missing = fmt.Errorf("environment variable %s is not set", g[1])
		return ""
	})
	return out, missing
}

// readFile parses project.yml, rejecting unknown keys with their line.
func readFile(fsys fs.FS) (*File, error) {
	data, err := fs.ReadFile(fsys, FileName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s not found: run dwm inside a project or pass --project-dir", FileName)
	}
	if err != nil {
		return nil, err
	}
	if err := tmpl.CheckJinja(FileName, string(data)); err != nil {
		return nil, err
	}
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlErr(FileName, err)
	}
	if f.Name == "" {
		return nil, fmt.Errorf("%s: name is required", FileName)
	}
	if !identRe.MatchString(f.Name) {
		return nil, fmt.Errorf("%s: name %q must be letters, digits and underscores", FileName, f.Name)
	}
	def := func(v *[]string, d string) {
		if len(*v) == 0 {
			*v = []string{d}
		}
	}
	def(&f.ModelPaths, "models")
	def(&f.SeedPaths, "seeds")
	def(&f.MacroPaths, "macros")
	def(&f.TestPaths, "tests")
	if f.TargetPath == "" {
		f.TargetPath = "target"
	}
	return &f, nil
}

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

var lineRe = regexp.MustCompile(`^line (\d+): (.*)$`)

// yamlErr turns yaml.v3's "yaml: line N: msg" into "file:N: msg".
func yamlErr(file string, err error) error {
	msg := err.Error()
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || l == "yaml: unmarshal errors:" {
			continue
		}
		l = strings.TrimPrefix(l, "yaml: ")
		if m := lineRe.FindStringSubmatch(l); m != nil {
			parts = append(parts, fmt.Sprintf("%s:%s: %s", file, m[1], strings.Replace(m[2], "not found in type", "is not a known key in", 1)))
			continue
		}
		parts = append(parts, file+": "+l)
	}
	return errors.New(strings.Join(parts, "\n"))
}

// ResolveTarget picks the named target (or the default) and fills defaults.
func (f *File) ResolveTarget(name string, getenv func(string) (string, bool)) (string, Target, error) {
	if name == "" {
		name = f.Target
	}
	if name == "" {
		name = "dev"
	}
	t, ok := f.Targets[name]
	if !ok {
		if len(f.Targets) > 0 || name != "dev" {
			names := make([]string, 0, len(f.Targets))
			for n := range f.Targets {
				names = append(names, n)
			}
			return "", Target{}, fmt.Errorf("%s: target %q is not defined (targets: %s)", FileName, name, strings.Join(names, ", "))
		}
		t = Target{}
	}
	if t.Type == "" {
		t.Type = "chdb"
	}
	if t.Database == "" {
		t.Database = f.Name
	}
	if t.Type == "chdb" && t.Path == "" {
		t.Path = ".dwm/" + name
	}
	for _, p := range []*string{&t.Host, &t.User, &t.Password, &t.Database, &t.Path, &t.Library, &t.Cluster, &t.Protocol, &t.ClusterMode, &t.DatabaseEngine} {
		v, err := resolveEnv(*p, getenv)
		if err != nil {
			return "", Target{}, fmt.Errorf("%s: target %s: %w", FileName, name, err)
		}
		*p = v
	}
	if err := t.S3.resolve(getenv); err != nil {
		return "", Target{}, fmt.Errorf("%s: target %s: s3: %w", FileName, name, err)
	}
	switch t.Protocol {
	case "", "native", "http":
	default:
		return "", Target{}, fmt.Errorf("%s: target %s: unknown protocol %q (native or http)", FileName, name, t.Protocol)
	}
	switch t.Type {
	case "chdb", "clickhouse":
	default:
		return "", Target{}, fmt.Errorf("%s: target %s: unknown type %q (chdb or clickhouse)", FileName, name, t.Type)
	}
	if err := checkCluster(&t); err != nil {
		return "", Target{}, fmt.Errorf("%s: target %s: %w", FileName, name, err)
	}
	return name, t, nil
}

// resolve expands env_var in the S3 values and fills the empty ones from the AWS variables.
func (s *S3) resolve(getenv func(string) (string, bool)) error {
	switch s.Credentials {
	case "", "dwm", "server":
	default:
		return fmt.Errorf("credentials %q: want dwm or server", s.Credentials)
	}
	fields := []struct {
		v   *string
		env string
	}{{&s.Endpoint, "AWS_ENDPOINT_URL"}, {&s.Region, "AWS_REGION"}, {&s.AccessKeyID, "AWS_ACCESS_KEY_ID"},
		{&s.SecretAccessKey, "AWS_SECRET_ACCESS_KEY"}, {&s.SessionToken, "AWS_SESSION_TOKEN"}}
	for i, f := range fields {
		v, err := resolveEnv(*f.v, getenv)
		if err != nil {
			return err
		}
		if v == "" && (i < 2 || s.Credentials != "server") && getenv != nil {
			v, _ = getenv(f.env)
		}
		*f.v = v
	}
	if s.Credentials == "server" && (s.AccessKeyID != "" || s.SecretAccessKey != "" || s.SessionToken != "") {
		return fmt.Errorf("credentials: server sends no keys; remove access_key_id, secret_access_key and session_token")
	}
	return nil
}
