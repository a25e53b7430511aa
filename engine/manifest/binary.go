package manifest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/dwmhq/dwm/internal/parallel"
)

// The binary form of a manifest is what `dwm ls` reads back instead of parsing the project
// again (project.LoadListing). It has to be much faster to decode than the parse it replaces:
// encoding/gob took 0.25 s for the 40,000 nodes of the compile benchmark, a third of a whole
// `dwm ls`. So nodes are written field by field in chunks that decode in parallel, and every
// decoded string is a slice of one copy of the input instead of an allocation of its own.
// TestBinaryRoundTrip fills every field of every type here by reflection, so a field added to
// Node without being added here fails it.

const binaryMagic = "dwm manifest binary 1\n"

// MarshalBinary returns m in its binary form. Values of type any (config, meta, test arguments)
// may be nil, strings, booleans, ints, int64s, uint64s, float64s, times, and lists and maps of
// them; anything else is an error, and the caller simply does without a binary form.
func (m *Manifest) MarshalBinary() ([]byte, error) {
	parts, err := m.BinaryParts()
	if err != nil {
		return nil, err
	}
	return slices.Concat(parts...), nil
}

// BinaryParts is MarshalBinary in pieces, to be written one after the other: a writer need not
// copy the whole manifest into one buffer first.
func (m *Manifest) BinaryParts() ([][]byte, error) {
	ids := m.SortedIDs()
	const perChunk = 2048
	chunks := make([][]byte, (len(ids)+perChunk-1)/perChunk)
	err := parallel.ForEach(len(chunks), func(c int) error {
		part := ids[c*perChunk : min(len(ids), (c+1)*perChunk)]
		size := 0
		for _, id := range part {
			size += 512 + len(m.Nodes[id].RawCode) // most nodes' other fields take less
		}
		e := &encoder{b: make([]byte, 0, size)}
		for _, id := range part {
			e.node(m.Nodes[id])
		}
		chunks[c] = e.b
		return e.err
	})
	if err != nil {
		return nil, err
	}
	e := &encoder{b: []byte(binaryMagic)}
	e.str(m.Project)
	e.strMap(m.Macros)
	e.strMap(m.MacroChecksums)
	e.uvarint(uint64(len(chunks)))
	parts := make([][]byte, 0, 2*len(chunks)+1)
	for c, b := range chunks {
		e.uvarint(uint64(min(perChunk, len(ids)-c*perChunk)))
		e.uvarint(uint64(len(b)))
		parts = append(parts, e.b, b)
		e.b = nil
	}
	if e.b != nil {
		parts = append(parts, e.b)
	}
	return parts, e.err
}

// UnmarshalBinary decodes what MarshalBinary wrote. The manifest keeps one copy of data alive.
func UnmarshalBinary(data []byte) (*Manifest, error) {
	s := string(data)
	if len(s) < len(binaryMagic) || s[:len(binaryMagic)] != binaryMagic {
		return nil, errors.New("manifest: not a binary manifest of this version")
	}
	d := &decoder{s: s, i: len(binaryMagic)}
	m := &Manifest{Project: d.str(), Macros: d.strMap(), MacroChecksums: d.strMap()}
	type chunk struct {
		d     decoder
		nodes []*Node
	}
	count := d.uvarint()
	if count > uint64(len(s)) {
		return nil, errTruncated
	}
	chunks := make([]chunk, count)
	total := 0
	for c := range chunks {
		if d.err != nil {
			return nil, d.err
		}
		n, size := int(d.uvarint()), int(d.uvarint())
		if d.err != nil || size > len(s)-d.i || n > size {
			return nil, errTruncated
		}
		chunks[c] = chunk{d: decoder{s: s[:d.i+size], i: d.i}, nodes: make([]*Node, n)}
		d.i += size
		total += n
	}
	if d.err == nil && d.i != len(s) {
		d.err = errors.New("manifest: trailing bytes after a binary manifest")
	}
	if d.err != nil {
		return nil, d.err
	}
	err := parallel.ForEach(len(chunks), func(c int) error {
		ch := &chunks[c]
		for k := range ch.nodes {
			ch.nodes[k] = ch.d.node()
		}
		if ch.d.err == nil && ch.d.i != len(ch.d.s) {
			ch.d.err = errors.New("manifest: a chunk of the binary manifest has trailing bytes")
		}
		return ch.d.err
	})
	if err != nil {
		return nil, err
	}
	m.Nodes = make(map[string]*Node, total)
	ids := make([]string, 0, total)
	for _, ch := range chunks {
		for _, n := range ch.nodes {
			m.Nodes[n.UniqueID] = n
			ids = append(ids, n.UniqueID)
		}
	}
	// MarshalBinary wrote the nodes in SortedIDs order: keep it rather than sort again. A
	// file that is not sorted (or repeats an ID) is not one MarshalBinary wrote.
	if len(ids) != len(m.Nodes) || !slices.IsSorted(ids) {
		return nil, errors.New("manifest: the nodes of a binary manifest are not in order")
	}
	m.sorted.Store(&ids)
	return m, nil
}

type encoder struct {
	b   []byte
	err error
}

func (e *encoder) uvarint(u uint64) { e.b = binary.AppendUvarint(e.b, u) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }

func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// size writes a slice's or map's length plus one, zero for nil: nil and empty stay apart, so a
// decoded manifest is deeply equal to the one encoded.
func (e *encoder) size(n int, isNil bool) bool {
	if isNil {
		e.uvarint(0)
		return false
	}
	e.uvarint(uint64(n) + 1)
	return true
}

func (e *encoder) strs(ss []string) {
	if e.size(len(ss), ss == nil) {
		for _, s := range ss {
			e.str(s)
		}
	}
}

func (e *encoder) strMap(m map[string]string) {
	if e.size(len(m), m == nil) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			e.str(k)
			e.str(m[k])
		}
	}
}

func (e *encoder) anyMap(m map[string]any) {
	if e.size(len(m), m == nil) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			e.str(k)
			e.value(m[k])
		}
	}
}

// The tags of values of type any.
const (
	tagNil = iota
	tagString
	tagFalse
	tagTrue
	tagInt
	tagInt64
	tagUint64
	tagFloat64
	tagList
	tagMap
	tagStrings
	tagStringMap
	tagTime
)

func (e *encoder) value(v any) {
	switch v := v.(type) {
	case nil:
		e.b = append(e.b, tagNil)
	case string:
		e.b = append(e.b, tagString)
		e.str(v)
	case bool:
		if v {
			e.b = append(e.b, tagTrue)
		} else {
			e.b = append(e.b, tagFalse)
		}
	case int:
		e.b = append(e.b, tagInt)
		e.varint(int64(v))
	case int64:
		e.b = append(e.b, tagInt64)
		e.varint(v)
	case uint64:
		e.b = append(e.b, tagUint64)
		e.uvarint(v)
	case float64:
		e.b = append(e.b, tagFloat64)
		e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v))
	case []any:
		e.b = append(e.b, tagList)
		if e.size(len(v), v == nil) {
			for _, x := range v {
				e.value(x)
			}
		}
	case map[string]any:
		e.b = append(e.b, tagMap)
		e.anyMap(v)
	case []string:
		e.b = append(e.b, tagStrings)
		e.strs(v)
	case map[string]string:
		e.b = append(e.b, tagStringMap)
		e.strMap(v)
	case time.Time:
		t, err := v.MarshalBinary()
		if err != nil && e.err == nil {
			e.err = err
		}
		e.b = append(e.b, tagTime)
		e.str(string(t))
	default:
		if e.err == nil {
			e.err = fmt.Errorf("manifest: no binary form for a value of type %T", v)
		}
	}
}

func (e *encoder) specs(ts []TestSpec) {
	if e.size(len(ts), ts == nil) {
		for i := range ts {
			t := &ts[i]
			e.str(t.Name)
			e.anyMap(t.Args)
			e.anyMap(t.Config)
			e.str(t.File)
			e.varint(int64(t.Line))
			e.varint(int64(t.Column))
		}
	}
}

func (e *encoder) age(a *Age) {
	e.bool(a != nil)
	if a != nil {
		e.varint(int64(a.Count))
		e.str(a.Period)
	}
}

func (e *encoder) config(c *Config) {
	e.bool(c.Enabled)
	e.str(c.Materialized)
	e.strs(c.Tags)
	e.str(c.Database)
	e.str(c.Alias)
	e.str(c.Engine)
	e.str(c.OrderBy)
	e.str(c.PartitionBy)
	e.str(c.PrimaryKey)
	e.anyMap(c.Settings)
	e.strs(c.UniqueKey)
	e.str(c.IncrementalStrategy)
	e.strMap(c.ColumnTypes)
	e.str(c.Delimiter)
	e.str(c.Severity)
	e.str(c.WarnIf)
	e.str(c.ErrorIf)
	e.str(c.Where)
	e.varint(int64(c.Limit))
	e.bool(c.StoreFailures)
	e.anyMap(c.Raw)
}

func (e *encoder) node(n *Node) {
	e.str(n.UniqueID)
	e.str(n.Name)
	e.str(string(n.ResourceType))
	e.str(n.Path)
	e.strs(n.FQN)
	e.str(n.RawCode)
	e.str(n.Checksum)
	e.config(&n.Config)
	e.str(n.Description)
	if e.size(len(n.Columns), n.Columns == nil) {
		for i := range n.Columns {
			c := &n.Columns[i]
			e.str(c.Name)
			e.str(c.Description)
			e.str(c.DataType)
			e.specs(c.Tests)
			e.anyMap(c.Meta)
			e.strs(c.Constraints)
		}
	}
	e.specs(n.Tests)
	e.anyMap(n.Meta)
	e.strs(n.Refs)
	if e.size(len(n.Sources), n.Sources == nil) {
		for _, s := range n.Sources {
			e.str(s.Source)
			e.str(s.Table)
		}
	}
	e.strs(n.DependsOn)
	e.str(n.Database)
	e.str(n.Alias)
	e.bool(n.Source != nil)
	if s := n.Source; s != nil {
		e.str(s.SourceName)
		e.str(s.Identifier)
		e.str(s.LoadedAtField)
		e.bool(s.Freshness != nil)
		if f := s.Freshness; f != nil {
			e.age(f.WarnAfter)
			e.age(f.ErrorAfter)
			e.str(f.Filter)
		}
	}
	e.bool(n.Test != nil)
	if t := n.Test; t != nil {
		e.str(t.Name)
		e.anyMap(t.Kwargs)
		e.str(t.ColumnName)
		e.str(t.AttachedTo)
	}
	e.strMap(n.Extra)
	e.strs(n.DependsOnMacros)
}
