package selector

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
)

// matchConfig is dbt's config method: the value at the key path equals want, or, for a list,
// holds it; "true" and "false" match booleans whatever their case, and severity compares
// without case as in dbt.
func matchConfig(cfg manifest.Config, keys []string, want string) bool {
	v, ok := configValue(cfg, keys)
	if !ok {
		return false
	}
	equal := func(x any) bool {
		switch x := x.(type) {
		case nil:
			return false
		case bool:
			return strings.EqualFold(want, fmt.Sprint(x))
		case string:
			if len(keys) == 1 && keys[0] == "severity" {
				return strings.EqualFold(x, want)
			}
			return x == want
		default:
			return fmt.Sprint(x) == want
		}
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		for i := range rv.Len() {
			if equal(rv.Index(i).Interface()) {
				return true
			}
		}
		return false
	}
	return equal(v)
}

// configValue looks a key path up in the typed fields first (by JSON name, since those are
// the names users write), falling back to Raw when the typed field is unset or unknown, then
// descends into maps for the remaining keys.
func configValue(cfg manifest.Config, keys []string) (any, bool) {
	var v any
	found := false
	if f, ok := typedField(cfg, keys[0]); ok && !f.IsZero() {
		v, found = f.Interface(), true
	} else if raw, ok := cfg.Raw[keys[0]]; ok {
		v, found = raw, true
	} else if ok {
		v, found = f.Interface(), true // a typed zero value, such as enabled: false
	}
	if !found {
		return nil, false
	}
	for _, k := range keys[1:] {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
			return nil, false
		}
		e := rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key()))
		if !e.IsValid() {
			return nil, false
		}
		v = e.Interface()
	}
	return v, true
}

// typedField finds the Config field whose JSON name is key.
func typedField(cfg manifest.Config, key string) (reflect.Value, bool) {
	rv := reflect.ValueOf(cfg)
	rt := rv.Type()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if name == key && key != "raw" {
			return rv.Field(i), true
		}
	}
	return reflect.Value{}, false
}
