package snapshot

import (
	"strconv"
	"unsafe"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/sluicecdc/sluice/change"
)

// conv says how a text-protocol value becomes the Go value the binlog
// decoder produces for the same column (see change/value.go).
type conv uint8

const (
	convInt8 conv = iota
	convInt16
	convInt32
	convInt64
	convUint8
	convUint16
	convUint32
	convUint64
	convYear    // int
	convFloat32 // selected as DOUBLE
	convFloat64
	convBit    // big-endian bytes → int64
	convString // DECIMAL, temporal, ENUM, SET, JSON, CHAR/VARCHAR/BINARY/VARBINARY
	convBytes  // BLOB/TEXT family, GEOMETRY
)

// rowOverhead and valueOverhead estimate a change's in-memory size beyond its
// values' bytes.
const (
	rowOverhead   = 64
	valueOverhead = 16
)

func converters(t *change.Table) []conv {
	out := make([]conv, len(t.Columns))
	for i := range t.Columns {
		out[i] = convOf(&t.Columns[i])
	}
	return out
}

func convOf(c *change.Column) conv {
	pick := func(signed, unsigned conv) conv {
		if c.Unsigned {
			return unsigned
		}
		return signed
	}
	switch c.Type {
	case change.TypeTiny:
		return pick(convInt8, convUint8)
	case change.TypeShort:
		return pick(convInt16, convUint16)
	case change.TypeInt24, change.TypeLong:
		return pick(convInt32, convUint32)
	case change.TypeLongLong:
		return pick(convInt64, convUint64)
	case change.TypeYear:
		return convYear
	case change.TypeFloat:
		return convFloat32
	case change.TypeDouble:
		return convFloat64
	case change.TypeBit:
		return convBit
	case change.TypeBlob, change.TypeTinyBlob, change.TypeMediumBlob, change.TypeLongBlob, change.TypeGeometry:
		return convBytes
	}
	return convString
}

// convert turns one field into its value and estimated size. Integers are
// read from the client's parsed value whatever its signedness (the bits are
// the same), so a server that flags a column differently cannot break it.
//
// With an arena, bytes are copied into its blocks and values boxed in its
// slabs (a few allocations per thousand values instead of one or two per
// value); a nil arena allocates each value.
func convert(k conv, fv *mysql.FieldValue, a *arena) (any, int) {
	if fv.Type == mysql.FieldValueTypeNull {
		return nil, valueOverhead
	}
	if a != nil {
		return a.convert(k, fv)
	}
	switch k {
	case convInt8:
		return int8(intBits(fv)), valueOverhead + 1
	case convInt16:
		return int16(intBits(fv)), valueOverhead + 2
	case convInt32:
		return int32(intBits(fv)), valueOverhead + 4
	case convInt64:
		return int64(intBits(fv)), valueOverhead + 8
	case convUint8:
		return uint8(intBits(fv)), valueOverhead + 1
	case convUint16:
		return uint16(intBits(fv)), valueOverhead + 2
	case convUint32:
		return uint32(intBits(fv)), valueOverhead + 4
	case convUint64:
		return intBits(fv), valueOverhead + 8
	case convYear:
		return int(intBits(fv)), valueOverhead + 8
	case convFloat32:
		return float32(floatOf(fv)), valueOverhead + 4
	case convFloat64:
		return floatOf(fv), valueOverhead + 8
	case convBit:
		var v uint64
		for _, b := range fv.AsString() {
			v = v<<8 | uint64(b)
		}
		return int64(v), valueOverhead + 8
	case convBytes:
		b := a.copy(fv.AsString())
		return b, valueOverhead + len(b)
	}
	b := a.copy(fv.AsString())
	if len(b) == 0 {
		return "", valueOverhead
	}
	return unsafe.String(&b[0], len(b)), valueOverhead + len(b) // b is a fresh copy
}

// Arena sizes: values up to arenaMaxValue bytes share blocks of arenaBlock.
const (
	arenaBlock    = 64 << 10
	arenaMaxValue = 1 << 10
)

// arena hands out copies of small values from shared blocks. A block stays
// alive while any value cut from it does; values are capped slices, so an
// append to one never writes into its neighbour.
type arena struct {
	block   []byte
	strings slab[string]
	bytes   slab[[]byte]
	i64     slab[int64]
	u64     slab[uint64]
	i32     slab[int32]
	u32     slab[uint32]
	f64     slab[float64]
	f32     slab[float32]
}

// convert is the arena's convert: the same values, boxed in slabs.
func (a *arena) convert(k conv, fv *mysql.FieldValue) (any, int) {
	switch k {
	case convInt32:
		return a.i32.box(int32(intBits(fv))), valueOverhead + 4
	case convUint32:
		return a.u32.box(uint32(intBits(fv))), valueOverhead + 4
	case convInt64:
		return a.i64.box(int64(intBits(fv))), valueOverhead + 8
	case convUint64:
		return a.u64.box(intBits(fv)), valueOverhead + 8
	case convFloat32:
		return a.f32.box(float32(floatOf(fv))), valueOverhead + 4
	case convFloat64:
		return a.f64.box(floatOf(fv)), valueOverhead + 8
	case convBit:
		var v uint64
		for _, b := range fv.AsString() {
			v = v<<8 | uint64(b)
		}
		return a.i64.box(int64(v)), valueOverhead + 8
	case convBytes:
		b := a.copy(fv.AsString())
		return a.bytes.box(b), valueOverhead + len(b)
	case convString:
		b := a.copy(fv.AsString())
		if len(b) == 0 {
			return "", valueOverhead
		}
		// The arena's bytes are never written again: the string is immutable.
		return a.strings.box(unsafe.String(&b[0], len(b))), valueOverhead + len(b)
	}
	return convert(k, fv, nil)
}

func (a *arena) copy(src []byte) []byte {
	if a == nil || len(src) > arenaMaxValue {
		b := make([]byte, len(src))
		copy(b, src)
		return b
	}
	if cap(a.block)-len(a.block) < len(src) {
		a.block = make([]byte, 0, arenaBlock)
	}
	n := len(a.block)
	a.block = append(a.block, src...)
	return a.block[n:len(a.block):len(a.block)]
}

// intBits is an integer field's value as uint64 bits.
func intBits(fv *mysql.FieldValue) uint64 {
	if fv.Type == mysql.FieldValueTypeString {
		// Not parsed by the client (unexpected protocol type): parse here.
		s := fv.AsString()
		v, _ := integerOf(fv, len(s) == 0 || s[0] != '-')
		return v
	}
	return fv.AsUint64()
}

func floatOf(fv *mysql.FieldValue) float64 {
	if fv.Type == mysql.FieldValueTypeFloat {
		return fv.AsFloat64()
	}
	return parseFloat(fv.AsString())
}

func parseFloat(b []byte) float64 {
	v, _ := strconv.ParseFloat(string(b), 64)
	return v
}
