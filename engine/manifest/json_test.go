package manifest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// tricky strings exercise every escape encoding/json makes.
var tricky = []string{"", "plain", "<b>&amp;</b>", "q\"uo\\te", "\b\f\n\r\t\x01\x1f\x7f", "é ü — 日本", "\u2028\u2029", "bad \xff\xfe utf8", "`x`"}

// jsonValues are the values fill puts in fields of type any for the JSON comparison: every kind
// AppendJSON writes itself and two it leaves to encoding/json.
var jsonValues = []any{nil, "s<&>", true, 42, int64(-7), 2.5, 1e21, []any{"a", 1, nil}, []string{"x"}, map[string]any{"b": 1, "a": []any{}},
	map[string]any(nil), []any(nil), uint8(3), struct{ X int }{1}}

// fill sets every field of v (a pointer) by reflection: strings, numbers, bools, slices, maps of
// any and pointers, so a field added to the manifest's types shows up in the comparison.
func fill(rng *rand.Rand, v reflect.Value, depth int, values []any) {
	switch v.Kind() {
	case reflect.Pointer:
		if depth > 6 || rng.IntN(5) == 0 { // deep enough for a source's freshness ages
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(rng, v.Elem(), depth+1, values)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(rng, v.Field(i), depth+1, values)
			}
		}
	case reflect.String:
		v.SetString(tricky[rng.IntN(len(tricky))])
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(rng.IntN(3)) * 7)
	case reflect.Slice:
		switch rng.IntN(4) {
		case 0: // nil
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			n := 1 + rng.IntN(3)
			s := reflect.MakeSlice(v.Type(), n, n)
			for i := range n {
				fill(rng, s.Index(i), depth+1, values)
			}
			v.Set(s)
		}
	case reflect.Map:
		if rng.IntN(3) == 0 {
			return
		}
		m := reflect.MakeMap(v.Type())
		for range rng.IntN(4) {
			k := reflect.New(v.Type().Key()).Elem()
			fill(rng, k, depth+1, values)
			val := reflect.New(v.Type().Elem()).Elem()
			fill(rng, val, depth+1, values)
			m.SetMapIndex(k, val)
		}
		v.Set(m)
	case reflect.Interface:
		v.Set(reflect.ValueOf(&values[rng.IntN(len(values))]).Elem())
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for i := range 3000 {
		n := &Node{}
		if i > 0 { // the first stays the zero node
			fill(rng, reflect.ValueOf(n).Elem(), 0, jsonValues)
		}
		want, werr := json.Marshal(n)
		got, gerr := n.AppendJSON(nil)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("node %d: errors differ: %v / %v", i, gerr, werr)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("node %d differs from encoding/json:\n got %s\nwant %s", i, got, want)
		}
	}
}
