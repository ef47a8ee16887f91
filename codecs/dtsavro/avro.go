package dtsavro

import (
	"encoding/binary"
	"math"
)

// Avro binary primitives (Avro 1.11 specification, "Binary Encoding").

// appendLong writes a long (or int) as a zig-zag varint.
func appendLong(b []byte, v int64) []byte {
	return binary.AppendUvarint(b, uint64(v<<1)^uint64(v>>63))
}

// appendString writes a string or bytes: its length, then its bytes.
func appendString[S ~string | ~[]byte](b []byte, s S) []byte {
	b = appendLong(b, int64(len(s)))
	return append(b, s...)
}

// appendDouble writes a double as 8 little-endian bytes.
func appendDouble(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}
