package snapshot

import (
	"strconv"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/valuebox"
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
// With a Box, values are boxed in its chunks and bytes copied into them (a
// few allocations per thousand values instead of one or two per value); a
// nil Box allocates each value.
func convert(k conv, fv *mysql.FieldValue, b *valuebox.Box) (any, int) {
	if fv.Type == mysql.FieldValueTypeNull {
		return nil, valueOverhead
	}
	if b != nil {
		return boxed(k, fv, b)
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
		return bitsOf(fv), valueOverhead + 8
	case convBytes:
		v := fv.AsString()
		return append(make([]byte, 0, len(v)), v...), valueOverhead + len(v)
	}
	v := fv.AsString()
	return string(v), valueOverhead + len(v)
}

// boxed is convert with a Box: the same values, boxed in its chunks.
func boxed(k conv, fv *mysql.FieldValue, b *valuebox.Box) (any, int) {
	switch k {
	case convInt16:
		return b.Int16(int16(intBits(fv))), valueOverhead + 2
	case convUint16:
		return b.Uint16(uint16(intBits(fv))), valueOverhead + 2
	case convInt32:
		return b.Int32(int32(intBits(fv))), valueOverhead + 4
	case convUint32:
		return b.Uint32(uint32(intBits(fv))), valueOverhead + 4
	case convInt64:
		return b.Int64(int64(intBits(fv))), valueOverhead + 8
	case convUint64:
		return b.Uint64(intBits(fv)), valueOverhead + 8
	case convYear:
		return b.Int(int(intBits(fv))), valueOverhead + 8
	case convFloat32:
		return b.Float32(float32(floatOf(fv))), valueOverhead + 4
	case convFloat64:
		return b.Float64(floatOf(fv)), valueOverhead + 8
	case convBit:
		return b.Int64(bitsOf(fv)), valueOverhead + 8
	case convBytes:
		v := fv.AsString()
		return b.CopyBytes(v), valueOverhead + len(v)
	case convString:
		v := fv.AsString()
		return b.Text(v), valueOverhead + len(v)
	}
	return convert(k, fv, nil)
}

// bitsOf is a BIT value: its big-endian bytes as an integer.
func bitsOf(fv *mysql.FieldValue) int64 {
	var v uint64
	for _, c := range fv.AsString() {
		v = v<<8 | uint64(c)
	}
	return int64(v)
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
