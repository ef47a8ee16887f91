// Package avrobin writes Avro binary primitives (Avro 1.11 specification,
// "Binary Encoding") by appending to byte slices, for the hand-written Avro
// encoders. It is not an Avro library: no schemas, no reading.
package avrobin

import (
	"encoding/binary"
	"math"
)

// AppendLong writes a long (or int) as a zig-zag varint.
func AppendLong(b []byte, v int64) []byte {
	return binary.AppendUvarint(b, uint64(v<<1)^uint64(v>>63))
}

// AppendString writes a string or bytes: its length, then its bytes.
func AppendString[S ~string | ~[]byte](b []byte, s S) []byte {
	b = AppendLong(b, int64(len(s)))
	return append(b, s...)
}

// AppendDouble writes a double as 8 little-endian bytes.
func AppendDouble(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

// AppendFloat writes a float as 4 little-endian bytes.
func AppendFloat(b []byte, f float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
}

// AppendBool writes a boolean as one byte.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// PrefixLength turns b[start:] into a string or bytes value: it inserts the
// length of b[start:] before it. It lets a writer append text whose length it
// only knows afterwards (a transcoding) without a scratch buffer.
func PrefixLength(b []byte, start int) []byte {
	n := len(b) - start
	var tmp [binary.MaxVarintLen64]byte
	l := binary.PutUvarint(tmp[:], uint64(n)<<1)
	b = append(b, tmp[:l]...)
	copy(b[start+l:], b[start:start+n])
	copy(b[start:], tmp[:l])
	return b
}
