package router

import (
	"strconv"
	"unicode/utf8"
)

// javaHash accumulates Java's String.hashCode over UTF-16 code units:
// h = 31*h + u, wrapping at 32 bits. The zero value is the hash of "".
type javaHash int32

// unit adds one UTF-16 code unit.
func (h javaHash) unit(u uint16) javaHash { return h*31 + javaHash(u) }

// rune adds a code point, as one unit or a surrogate pair.
func (h javaHash) rune(r rune) javaHash {
	if r < 0x10000 {
		return h.unit(uint16(r))
	}
	r -= 0x10000
	return h.unit(uint16(0xD800 + (r>>10)&0x3FF)).unit(uint16(0xDC00 + r&0x3FF))
}

// utf8String adds s read as UTF-8; each byte of an invalid sequence adds U+FFFD.
func (h javaHash) utf8String(s string) javaHash {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < utf8.RuneSelf {
			h = h.unit(uint16(b))
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		h = h.rune(r) // RuneError for an invalid byte, with size 1
		i += size - 1
	}
	return h
}

// utf8Bytes is utf8String for a byte slice.
func (h javaHash) utf8Bytes(s []byte) javaHash {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < utf8.RuneSelf {
			h = h.unit(uint16(b))
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		h = h.rune(r)
		i += size - 1
	}
	return h
}

// latin1String adds s as ISO-8859-1: one unit per byte.
func (h javaHash) latin1String(s string) javaHash {
	for i := 0; i < len(s); i++ {
		h = h.unit(uint16(s[i]))
	}
	return h
}

// latin1Bytes is latin1String for a byte slice.
func (h javaHash) latin1Bytes(s []byte) javaHash {
	for _, b := range s {
		h = h.unit(uint16(b))
	}
	return h
}

// ascii adds bytes known to be ASCII (digits, signs, dots).
func (h javaHash) ascii(b []byte) javaHash {
	for _, c := range b {
		h = h.unit(uint16(c))
	}
	return h
}

// value adds the canonical text of one row value (see doc.go). latin1 says
// whether string bytes map one byte to one unit.
func (h javaHash) value(v any, latin1 bool) javaHash {
	var buf [32]byte
	switch x := v.(type) {
	case nil:
		return h
	case string:
		if latin1 {
			return h.latin1String(x)
		}
		return h.utf8String(x)
	case []byte:
		if latin1 {
			return h.latin1Bytes(x)
		}
		return h.utf8Bytes(x)
	case int64:
		return h.ascii(strconv.AppendInt(buf[:0], x, 10))
	case int32:
		return h.ascii(strconv.AppendInt(buf[:0], int64(x), 10))
	case int16:
		return h.ascii(strconv.AppendInt(buf[:0], int64(x), 10))
	case int8:
		return h.ascii(strconv.AppendInt(buf[:0], int64(x), 10))
	case int:
		return h.ascii(strconv.AppendInt(buf[:0], int64(x), 10))
	case uint64:
		return h.ascii(strconv.AppendUint(buf[:0], x, 10))
	case uint32:
		return h.ascii(strconv.AppendUint(buf[:0], uint64(x), 10))
	case uint16:
		return h.ascii(strconv.AppendUint(buf[:0], uint64(x), 10))
	case uint8:
		return h.ascii(strconv.AppendUint(buf[:0], uint64(x), 10))
	case float64:
		return h.ascii(strconv.AppendFloat(buf[:0], x, 'f', -1, 64))
	case float32:
		return h.ascii(strconv.AppendFloat(buf[:0], float64(x), 'f', -1, 32))
	}
	// A type outside change/value.go's set is a decoder bug; hash nothing
	// rather than panic on the hot path, as for NULL.
	return h
}

// JavaHashCode returns Java's String.hashCode of s, with s read as UTF-8.
// Consumers and tests use it to reproduce partitions.
func JavaHashCode(s string) int32 { return int32(javaHash(0).utf8String(s)) }

// partitionOf maps a hash to a partition: |h % n|, Java semantics.
func partitionOf(h int32, n int) int32 {
	if n <= 1 {
		return 0
	}
	p := h % int32(n)
	if p < 0 {
		p = -p
	}
	return p
}
