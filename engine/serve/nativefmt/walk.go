package nativefmt

import (
	"fmt"
	"strconv"
)

// walkColumn copies one column of rows values: every state prefix first (Native writes them all
// before any data), then the data.
func walkColumn(t *tee, typ colType, rows uint64) error {
	if err := walkPrefix(t, typ); err != nil {
		return err
	}
	return walkData(t, typ, rows)
}

func walkPrefix(t *tee, typ colType) error {
	if a, ok := alias(typ); ok {
		return walkPrefixOf(t, a)
	}
	switch typ.name {
	case "LowCardinality":
		if t.u64() != 1 && t.err == nil { // SharedDictionariesWithAdditionalKeys, the only version
			return fmt.Errorf("unknown LowCardinality serialization version")
		}
		return t.err
	case "Array", "Nullable", "Tuple", "Map", "SimpleAggregateFunction":
		for _, a := range elementTypes(typ) {
			if err := walkPrefixOf(t, a); err != nil {
				return err
			}
		}
	}
	return t.err
}

func walkPrefixOf(t *tee, typ string) error {
	e, err := parseType(typ)
	if err != nil {
		return err
	}
	return walkPrefix(t, e)
}

func walkData(t *tee, typ colType, rows uint64) error {
	if w, ok := fixedWidth[typ.name]; ok {
		t.takeN(rows, w)
		return t.err
	}
	if a, ok := alias(typ); ok {
		return walkDataOf(t, a, rows)
	}
	switch typ.name {
	case "String":
		for i := uint64(0); i < rows && t.err == nil; i++ {
			t.take(t.uvarint())
		}
		return t.err
	case "FixedString":
		if len(typ.args) != 1 {
			break
		}
		n, err := strconv.ParseUint(typ.args[0], 10, 32)
		if err != nil {
			break
		}
		t.takeN(rows, n)
		return t.err
	case "Decimal":
		if len(typ.args) < 1 {
			break
		}
		p, err := strconv.Atoi(typ.args[0])
		if err != nil {
			break
		}
		t.takeN(rows, decimalWidth(p))
		return t.err
	case "Nullable", "SimpleAggregateFunction":
		if typ.name == "Nullable" {
			t.take(rows) // null map
		}
		if e := elementTypes(typ); len(e) == 1 {
			return walkDataOf(t, e[0], rows)
		}
	case "Array", "Map":
		total := uint64(0)
		for i := uint64(0); i < rows && t.err == nil; i++ {
			off := t.u64() // offsets are cumulative; the last one is the element count
			if off < total {
				return fmt.Errorf("array offsets decrease")
			}
			total = off
		}
		if t.err != nil {
			return t.err
		}
		if typ.name == "Array" && len(typ.args) == 1 {
			return walkDataOf(t, typ.args[0], total)
		}
		if typ.name == "Map" && len(typ.args) == 2 {
			if err := walkDataOf(t, typ.args[0], total); err != nil {
				return err
			}
			return walkDataOf(t, typ.args[1], total)
		}
	case "Tuple":
		for _, e := range elementTypes(typ) {
			if err := walkDataOf(t, e, rows); err != nil {
				return err
			}
		}
		return t.err
	case "LowCardinality":
		return walkLowCardinality(t, typ, rows)
	}
	return fmt.Errorf("%w %s", ErrUnsupportedType, typ.name)
}

func walkDataOf(t *tee, typ string, rows uint64) error {
	e, err := parseType(typ)
	if err != nil {
		return err
	}
	return walkData(t, e, rows)
}

// LowCardinality granule flags (ClickHouse's SerializationLowCardinality).
const (
	lcIndexTypeMask         = 0xff
	lcNeedGlobalDictionary  = 1 << 8
	lcHasAdditionalKeys     = 1 << 9
	lcKnownFlags            = lcIndexTypeMask | lcNeedGlobalDictionary | lcHasAdditionalKeys | 1<<10 // need update dictionary
	lcMaxIndexType          = 3                                                                      // UInt64 keys
	lcMaxGranulesPerColumns = 1 << 20
)

// walkLowCardinality copies granules until rows keys were read: flags, an optional dictionary of
// the inner type without Nullable, then the keys. ClickHouse writes one granule per block;
// clients may write several.
func walkLowCardinality(t *tee, typ colType, rows uint64) error {
	if len(typ.args) != 1 {
		return fmt.Errorf("%w LowCardinality without one argument", ErrUnsupportedType)
	}
	dictType := typ.args[0]
	if inner, err := parseType(dictType); err == nil && inner.name == "Nullable" && len(inner.args) == 1 {
		dictType = inner.args[0]
	}
	for read, granules := uint64(0), 0; read < rows && t.err == nil; granules++ {
		flags := t.u64()
		if t.err != nil {
			break
		}
		if flags&^lcKnownFlags != 0 || flags&lcIndexTypeMask > lcMaxIndexType || flags&lcNeedGlobalDictionary != 0 {
			return fmt.Errorf("LowCardinality granule flags %#x are not supported", flags)
		}
		if granules > lcMaxGranulesPerColumns {
			return fmt.Errorf("too many LowCardinality granules")
		}
		if flags&lcHasAdditionalKeys != 0 {
			if err := walkDataOf(t, dictType, t.u64()); err != nil {
				return err
			}
		}
		n := t.u64()
		if t.err == nil && (n == 0 || n > rows-read) {
			return fmt.Errorf("LowCardinality granule of %d keys with %d rows left", n, rows-read)
		}
		t.takeN(n, 1<<(flags&lcIndexTypeMask))
		read += n
	}
	return t.err
}
