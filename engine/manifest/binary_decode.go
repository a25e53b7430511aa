package manifest

import (
	"encoding/binary"
	"errors"
	"math"
	"time"
)

// decoder reads what encoder wrote. The first error sticks: later reads return zero values,
// and the caller checks err once.
type decoder struct {
	s   string
	i   int
	err error
}

var errTruncated = errors.New("manifest: truncated binary manifest")

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errTruncated
	}
	d.i = len(d.s)
}

func (d *decoder) uvarint() uint64 {
	var u uint64
	for shift := 0; shift < 64; shift += 7 {
		if d.i >= len(d.s) {
			d.fail()
			return 0
		}
		c := d.s[d.i]
		d.i++
		u |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return u
		}
	}
	d.fail()
	return 0
}

func (d *decoder) varint() int64 {
	u := d.uvarint()
	return int64(u>>1) ^ -int64(u&1) // zigzag, as binary.AppendVarint writes it
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.i) {
		d.fail()
		return ""
	}
	s := d.s[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}

func (d *decoder) byte() byte {
	if d.i >= len(d.s) {
		d.fail()
		return 0
	}
	d.i++
	return d.s[d.i-1]
}

func (d *decoder) bool() bool { return d.byte() != 0 }

// size reads what encoder.size wrote: -1 for nil. A length longer than the bytes left cannot be
// real (every element takes at least one byte), which keeps a corrupt file from allocating.
func (d *decoder) size() int {
	n := d.uvarint()
	if n == 0 {
		return -1
	}
	if n-1 > uint64(len(d.s)-d.i) {
		d.fail()
		return -1
	}
	return int(n - 1)
}

func (d *decoder) strs() []string {
	n := d.size()
	if n < 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *decoder) strMap() map[string]string {
	n := d.size()
	if n < 0 {
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := d.str()
		m[k] = d.str()
	}
	return m
}

func (d *decoder) anyMap() map[string]any {
	n := d.size()
	if n < 0 {
		return nil
	}
	m := make(map[string]any, n)
	for range n {
		k := d.str()
		m[k] = d.value()
	}
	return m
}

func (d *decoder) value() any {
	switch tag := d.byte(); tag {
	case tagNil:
		return nil
	case tagString:
		return d.str()
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt:
		return int(d.varint())
	case tagInt64:
		return d.varint()
	case tagUint64:
		return d.uvarint()
	case tagFloat64:
		if len(d.s)-d.i < 8 {
			d.fail()
			return nil
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64([]byte(d.s[d.i : d.i+8])))
		d.i += 8
		return v
	case tagList:
		n := d.size()
		if n < 0 {
			return []any(nil)
		}
		out := make([]any, n)
		for i := range out {
			out[i] = d.value()
		}
		return out
	case tagMap:
		return d.anyMap()
	case tagStrings:
		return d.strs()
	case tagStringMap:
		return d.strMap()
	case tagTime:
		var t time.Time
		if err := t.UnmarshalBinary([]byte(d.str())); err != nil && d.err == nil {
			d.err = err
		}
		return t
	default:
		if d.err == nil {
			d.err = errors.New("manifest: unknown value tag in a binary manifest")
		}
		d.i = len(d.s)
		return nil
	}
}

func (d *decoder) specs() []TestSpec {
	n := d.size()
	if n < 0 {
		return nil
	}
	out := make([]TestSpec, n)
	for i := range out {
		out[i] = TestSpec{Name: d.str(), Args: d.anyMap(), Config: d.anyMap(), File: d.str(),
			Line: int(d.varint()), Column: int(d.varint())}
	}
	return out
}

func (d *decoder) age() *Age {
	if !d.bool() {
		return nil
	}
	return &Age{Count: int(d.varint()), Period: d.str()}
}

func (d *decoder) config(c *Config) {
	*c = Config{Enabled: d.bool(), Materialized: d.str(), Tags: d.strs(), Database: d.str(), Alias: d.str(),
		Engine: d.str(), OrderBy: d.str(), PartitionBy: d.str(), PrimaryKey: d.str(), Settings: d.anyMap(),
		UniqueKey: d.strs(), IncrementalStrategy: d.str(), ColumnTypes: d.strMap(), Delimiter: d.str(),
		Severity: d.str(), WarnIf: d.str(), ErrorIf: d.str(), Where: d.str(), Limit: int(d.varint()),
		StoreFailures: d.bool(), Raw: d.anyMap()}
}

func (d *decoder) node() *Node {
	n := &Node{UniqueID: d.str(), Name: d.str(), ResourceType: ResourceType(d.str()), Path: d.str(), FQN: d.strs(),
		RawCode: d.str(), Checksum: d.str()}
	d.config(&n.Config)
	n.Description = d.str()
	if k := d.size(); k >= 0 {
		n.Columns = make([]Column, k)
		for i := range n.Columns {
			n.Columns[i] = Column{Name: d.str(), Description: d.str(), DataType: d.str(), Tests: d.specs(),
				Meta: d.anyMap(), Constraints: d.strs()}
		}
	}
	n.Tests = d.specs()
	n.Meta = d.anyMap()
	n.Refs = d.strs()
	if k := d.size(); k >= 0 {
		n.Sources = make([]SourceRef, k)
		for i := range n.Sources {
			n.Sources[i] = SourceRef{Source: d.str(), Table: d.str()}
		}
	}
	n.DependsOn = d.strs()
	n.Database = d.str()
	n.Alias = d.str()
	if d.bool() {
		n.Source = &SourceInfo{SourceName: d.str(), Identifier: d.str(), LoadedAtField: d.str()}
		if d.bool() {
			n.Source.Freshness = &Freshness{WarnAfter: d.age(), ErrorAfter: d.age(), Filter: d.str()}
		}
	}
	if d.bool() {
		n.Test = &TestInfo{Name: d.str(), Kwargs: d.anyMap(), ColumnName: d.str(), AttachedTo: d.str()}
	}
	n.Extra = d.strMap()
	n.DependsOnMacros = d.strs()
	return n
}
