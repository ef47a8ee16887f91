package snapshot

import (
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
func convert(k conv, fv *mysql.FieldValue) (any, int) {
	if fv.Type == mysql.FieldValueTypeNull {
		return nil, valueOverhead
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
		s := fv.AsString()
		b := make([]byte, len(s))
		copy(b, s)
		return b, valueOverhead + len(b)
	}
	s := fv.AsString()
	return string(s), valueOverhead + len(s)
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
