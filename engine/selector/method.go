package selector

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
)

// Method is a selector method: the part before the colon in "tag:nightly".
type Method string

// The selector methods dwm supports, with dbt's names and meanings.
const (
	MethodFQN          Method = "fqn"           // name or dotted fully qualified name prefix
	MethodTag          Method = "tag"           // a config tag, globs allowed
	MethodPath         Method = "path"          // a file, or a directory holding it
	MethodFile         Method = "file"          // the defining file's name, with or without extension
	MethodPackage      Method = "package"       // the project (package) name
	MethodConfig       Method = "config"        // config.<key>[.<key>...]:<value>
	MethodResourceType Method = "resource_type" // model, seed, source, test, unit_test
	MethodSource       Method = "source"        // source, source.table or project.source.table
	MethodTestName     Method = "test_name"     // a generic test's name (unique, not_null, ...)
	MethodTestType     Method = "test_type"     // generic, singular, data or unit
	MethodState        Method = "state"         // new, modified[.body|.configs|.macros|.contract], ... against --state
	MethodResult       Method = "result"        // a status in --state's run_results.json
)

// stateValues and resultValues are what the state and result methods accept.
var (
	stateValues  = []string{"new", "old", "modified", "unmodified", "modified.body", "modified.configs", "modified.macros", "modified.contract"}
	resultValues = []string{"success", "error", "skipped", "pass", "warn", "fail"}
)

var methods = []Method{
	MethodFQN, MethodTag, MethodPath, MethodFile, MethodPackage, MethodConfig,
	MethodResourceType, MethodSource, MethodTestName, MethodTestType, MethodState, MethodResult,
}

// validate rejects what dbt rejects up front, and globs path.Match would refuse later.
func (m Method) validate(args []string, value string) error {
	known := false
	for _, k := range methods {
		known = known || k == m
	}
	switch {
	case !known:
		names := make([]string, len(methods))
		for i, k := range methods {
			names[i] = string(k)
		}
		return fmt.Errorf("unknown method %q (want one of %s)", m, strings.Join(names, ", "))
	case m == MethodConfig && len(args) == 0:
		return fmt.Errorf(`the config method needs a key, as in "config.materialized:table"`)
	case m != MethodConfig && len(args) > 0:
		return fmt.Errorf("the %s method takes no argument, got %q", m, strings.Join(args, "."))
	}
	switch m {
	case MethodResourceType:
		switch manifest.ResourceType(value) {
		case manifest.Model, manifest.Seed, manifest.Snapshot, manifest.Source, manifest.Test, manifest.UnitTest:
		default:
			return fmt.Errorf("unknown resource type %q (want model, seed, snapshot, source, test or unit_test)", value)
		}
	case MethodTestType:
		switch value {
		case "generic", "singular", "data", "unit", "schema":
		default:
			return fmt.Errorf("unknown test type %q (want generic, singular, data or unit)", value)
		}
	case MethodSource:
		if n := len(strings.Split(value, ".")); n > 3 {
			return fmt.Errorf("a source selector is source, source.table or project.source.table")
		}
	case MethodConfig:
		return nil // compared for equality, not as a glob
	case MethodState:
		if !slices.Contains(stateValues, value) {
			return fmt.Errorf("unknown state %q (want one of %s)", value, strings.Join(stateValues, ", "))
		}
		return nil
	case MethodResult:
		if !slices.Contains(resultValues, value) {
			return fmt.Errorf("unknown result %q (want one of %s)", value, strings.Join(resultValues, ", "))
		}
		return nil
	}
	if _, err := path.Match(fnmatchPattern(value), ""); err != nil {
		return fmt.Errorf("bad pattern %q: %w", value, err)
	}
	return nil
}

// matcher returns whether the method part of c (graph operators aside) selects a node, with
// the value's parsing done once rather than per node.
func (c *Criterion) matcher(project string, m *manifest.Manifest, st State) func(n *manifest.Node) bool {
	switch c.Method {
	case MethodState:
		return func(n *manifest.Node) bool {
			return st != nil && n.ResourceType != manifest.Source && st.Match(m, n, c.Value)
		}
	case MethodResult:
		return func(n *manifest.Node) bool { return st != nil && st.Result(n, c.Value) }
	}
	if c.Method == MethodFQN {
		parts := strings.Split(c.Value, ".")
		return func(n *manifest.Node) bool {
			return n.ResourceType != manifest.Source && matchFQN(fqnOf(project, n), n.Name, c.Value, parts)
		}
	}
	return func(n *manifest.Node) bool { return c.matches(project, n) }
}

// matches reports whether the method part of c selects n, for every method but fqn.
func (c *Criterion) matches(project string, n *manifest.Node) bool {
	v := c.Value
	switch c.Method {
	case MethodTag:
		for _, t := range n.Config.Tags {
			if glob(v, t) {
				return true
			}
		}
		return false
	case MethodPath:
		return matchPath(v, n.Path)
	case MethodFile:
		base := path.Base(n.Path)
		return n.Path != "" && (glob(v, base) || glob(v, strings.TrimSuffix(base, path.Ext(base))))
	case MethodPackage:
		return glob(v, fqnOf(project, n)[0])
	case MethodConfig:
		return matchConfig(n.Config, c.Args, v)
	case MethodResourceType:
		return string(n.ResourceType) == v
	case MethodSource:
		return matchSource(project, n, v)
	case MethodTestName:
		return n.ResourceType == manifest.Test && n.Test != nil && n.Test.Name != "" && glob(v, n.Test.Name)
	case MethodTestType:
		return matchTestType(n, v)
	}
	return false
}

// fqnOf returns the node's FQN, or [project, name] when the loader left it empty.
func fqnOf(project string, n *manifest.Node) []string {
	if len(n.FQN) > 0 {
		return n.FQN
	}
	return []string{project, n.Name}
}

func matchSource(project string, n *manifest.Node, v string) bool {
	if n.ResourceType != manifest.Source || n.Source == nil {
		return false
	}
	pkg, src, table := "*", "*", "*"
	switch parts := strings.Split(v, "."); len(parts) {
	case 1:
		src = parts[0]
	case 2:
		src, table = parts[0], parts[1]
	case 3:
		pkg, src, table = parts[0], parts[1], parts[2]
	}
	return glob(pkg, fqnOf(project, n)[0]) && glob(src, n.Source.SourceName) && glob(table, n.Name)
}

func matchTestType(n *manifest.Node, v string) bool {
	generic := n.ResourceType == manifest.Test && n.Test != nil && n.Test.Name != ""
	singular := n.ResourceType == manifest.Test && !generic
	switch v {
	case "generic", "schema": // "schema" is dbt's old name for generic tests
		return generic
	case "singular":
		return singular
	case "data":
		return generic || singular
	case "unit":
		return n.ResourceType == manifest.UnitTest
	}
	return false
}
