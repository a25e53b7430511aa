package selector

import (
	"path"
	"slices"
	"strings"
)

// hasGlob reports whether s uses a wildcard, which switches fqn matching to patterns.
func hasGlob(s string) bool { return strings.ContainsAny(s, "*?[]") }

// fnmatchPattern turns Python fnmatch's negated class "[!...]" into path.Match's "[^...]".
func fnmatchPattern(p string) string { return strings.ReplaceAll(p, "[!", "[^") }

// glob matches like Python's fnmatch, which dbt uses: "*" also matches "." (path.Match only
// treats "/" specially, and none of the matched strings contain one).
func glob(pattern, s string) bool {
	ok, err := path.Match(fnmatchPattern(pattern), s)
	return err == nil && ok
}

// matchFQN is dbt's qualified-name match: the selector equals the node's name, or its dotted
// parts are a prefix of the FQN, with or without the leading project name; from the first part
// holding a wildcard on, the rest of the FQN must match the rest of the selector as a glob.
//
// dwm also lets a dotless glob match the bare name ("stg_*" selects stg_orders in any folder).
// dbt would need "*.stg_*" there; it is an addition, never a narrowing, of dbt's behaviour.
// parts is sel split on dots.
func matchFQN(fqn []string, name, sel string, parts []string) bool {
	if isSelectedFQN(fqn, sel, parts) || isSelectedFQN(fqn[1:], sel, parts) {
		return true
	}
	return !strings.Contains(sel, ".") && hasGlob(sel) && glob(sel, name)
}

func isSelectedFQN(fqn []string, sel string, parts []string) bool {
	if len(fqn) == 0 {
		return false
	}
	if fqn[len(fqn)-1] == sel {
		return true
	}
	// Dots inside a name act as separators too, as in dbt.
	flat := fqn
	if slices.ContainsFunc(fqn, func(seg string) bool { return strings.Contains(seg, ".") }) {
		flat = nil
		for _, seg := range fqn {
			flat = append(flat, strings.Split(seg, ".")...)
		}
	}
	if len(flat) < len(parts) {
		return false
	}
	for i, p := range parts {
		if hasGlob(p) {
			return glob(strings.Join(parts[i:], "."), strings.Join(flat[i:], "."))
		}
		if flat[i] != p {
			return false
		}
	}
	return true
}

// matchPath matches a node's file path against a path selector: the file itself, or any
// directory above it, may match. "./" and trailing slashes are ignored; each segment may be a
// glob and "**" spans any number of directories, as in dbt's pathlib glob.
func matchPath(sel, file string) bool {
	if file == "" {
		return false
	}
	sel = strings.TrimPrefix(path.Clean(strings.TrimPrefix(sel, "./")), "./")
	pat := strings.Split(sel, "/")
	segs := strings.Split(file, "/")
	for k := 1; k <= len(segs); k++ {
		if matchSegments(pat, segs[:k]) {
			return true
		}
	}
	return false
}

func matchSegments(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	if pat[0] == "**" {
		for k := 0; k <= len(segs); k++ {
			if matchSegments(pat[1:], segs[k:]) {
				return true
			}
		}
		return false
	}
	return len(segs) > 0 && glob(pat[0], segs[0]) && matchSegments(pat[1:], segs[1:])
}
