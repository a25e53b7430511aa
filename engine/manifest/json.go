package manifest

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends n as encoding/json would marshal it, byte for byte, several times faster:
// manifest.json holds every node (40,000 for the compile benchmark), and encoding/json's
// reflection was most of the time to write it. Values of type any (config, meta, test
// arguments) of kinds other than strings, booleans, integers, lists and maps go through
// encoding/json. TestAppendJSONMatchesEncodingJSON fills every field of every type here by
// reflection, so a field added to Node without being added here fails it.
func (n *Node) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"unique_id":`...)
	b = appendString(b, n.UniqueID)
	b = append(b, `,"name":`...)
	b = appendString(b, n.Name)
	b = append(b, `,"resource_type":`...)
	b = appendString(b, string(n.ResourceType))
	b = append(b, `,"original_file_path":`...)
	b = appendString(b, n.Path)
	b = append(b, `,"fqn":`...)
	b = appendStrings(b, n.FQN)
	b = optString(b, "raw_code", n.RawCode)
	b = optString(b, "checksum", n.Checksum)
	b = append(b, `,"config":`...)
	if b, err = n.Config.appendJSON(b); err != nil {
		return b, err
	}
	b = optString(b, "description", n.Description)
	if len(n.Columns) > 0 {
		b = append(b, `,"columns":[`...)
		for i := range n.Columns {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = n.Columns[i].appendJSON(b); err != nil {
				return b, err
			}
		}
		b = append(b, ']')
	}
	if b, err = optTests(b, "tests", n.Tests); err != nil {
		return b, err
	}
	if b, err = optMap(b, "meta", n.Meta); err != nil {
		return b, err
	}
	if len(n.Refs) > 0 {
		b = append(b, `,"refs":`...)
		b = appendStrings(b, n.Refs)
	}
	if len(n.Sources) > 0 {
		b = append(b, `,"sources":[`...)
		for i, s := range n.Sources {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"source":`...)
			b = appendString(b, s.Source)
			b = append(b, `,"table":`...)
			b = appendString(b, s.Table)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"depends_on":`...)
	b = appendStrings(b, n.DependsOn)
	b = append(b, `,"database":`...)
	b = appendString(b, n.Database)
	b = append(b, `,"alias":`...)
	b = appendString(b, n.Alias)
	if n.Source != nil {
		b = append(b, `,"source":{"source_name":`...)
		b = appendString(b, n.Source.SourceName)
		b = append(b, `,"identifier":`...)
		b = appendString(b, n.Source.Identifier)
		b = append(b, '}')
	}
	if t := n.Test; t != nil {
		b = append(b, `,"test_metadata":{"name":`...)
		b = appendString(b, t.Name)
		if b, err = optMap(b, "kwargs", t.Kwargs); err != nil {
			return b, err
		}
		b = optString(b, "column_name", t.ColumnName)
		b = optString(b, "attached_node", t.AttachedTo)
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func (c *Config) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"enabled":`...)
	b = strconv.AppendBool(b, c.Enabled)
	b = append(b, `,"materialized":`...)
	b = appendString(b, c.Materialized)
	if len(c.Tags) > 0 {
		b = append(b, `,"tags":`...)
		b = appendStrings(b, c.Tags)
	}
	b = optString(b, "database", c.Database)
	b = optString(b, "alias", c.Alias)
	b = optString(b, "engine", c.Engine)
	b = optString(b, "order_by", c.OrderBy)
	b = optString(b, "partition_by", c.PartitionBy)
	b = optString(b, "primary_key", c.PrimaryKey)
	if b, err = optMap(b, "settings", c.Settings); err != nil {
		return b, err
	}
	if len(c.UniqueKey) > 0 {
		b = append(b, `,"unique_key":`...)
		b = appendStrings(b, c.UniqueKey)
	}
	b = optString(b, "incremental_strategy", c.IncrementalStrategy)
	if len(c.ColumnTypes) > 0 {
		b = append(b, `,"column_types":{`...)
		for i, k := range slices.Sorted(maps.Keys(c.ColumnTypes)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, c.ColumnTypes[k])
		}
		b = append(b, '}')
	}
	b = optString(b, "delimiter", c.Delimiter)
	b = optString(b, "severity", c.Severity)
	b = optString(b, "warn_if", c.WarnIf)
	b = optString(b, "error_if", c.ErrorIf)
	b = optString(b, "where", c.Where)
	if c.Limit != 0 {
		b = append(b, `,"limit":`...)
		b = strconv.AppendInt(b, int64(c.Limit), 10)
	}
	if c.StoreFailures {
		b = append(b, `,"store_failures":true`...)
	}
	if b, err = optMap(b, "raw", c.Raw); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (c *Column) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"name":`...)
	b = appendString(b, c.Name)
	b = optString(b, "description", c.Description)
	b = optString(b, "data_type", c.DataType)
	if b, err = optTests(b, "tests", c.Tests); err != nil {
		return b, err
	}
	if b, err = optMap(b, "meta", c.Meta); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func optTests(b []byte, key string, tests []TestSpec) ([]byte, error) {
	if len(tests) == 0 {
		return b, nil
	}
	var err error
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":[`...)
	for i, t := range tests {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendString(b, t.Name)
		if b, err = optMap(b, "kwargs", t.Args); err != nil {
			return b, err
		}
		if b, err = optMap(b, "config", t.Config); err != nil {
			return b, err
		}
		b = optString(b, "file", t.File)
		if t.Line != 0 {
			b = append(b, `,"line":`...)
			b = strconv.AppendInt(b, int64(t.Line), 10)
		}
		if t.Column != 0 {
			b = append(b, `,"col":`...)
			b = strconv.AppendInt(b, int64(t.Column), 10)
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

// optString appends ,"key":"s" unless s is empty (omitempty).
func optString(b []byte, key, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":`...)
	return appendString(b, s)
}

// optMap appends ,"key":{...} unless m is empty (omitempty).
func optMap(b []byte, key string, m map[string]any) ([]byte, error) {
	if len(m) == 0 {
		return b, nil
	}
	b = append(b, `,"`...)
	b = append(b, key...)
	b = append(b, `":`...)
	return appendAny(b, m)
}

// appendStrings encodes a string slice; nil is null, as encoding/json has it.
func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendAny encodes the values YAML and templates produce; other kinds go to encoding/json.
func appendAny(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case []string:
		return appendStrings(b, v), nil
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendAny(b, x); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '{')
		for i, k := range slices.Sorted(maps.Keys(v)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendAny(b, v[k]); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	}
	data, err := json.Marshal(v)
	return append(b, data...), err
}

const hexDigits = "0123456789abcdef"

// appendString quotes s exactly as encoding/json does: HTML-safe (<, >, & as \u003c...), \b \f
// \n \r \t, other control bytes as \u00XX, invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
