package binlogreader

import "strconv"

// MariaDB's INET4, INET6 and UUID columns are logged as BINARY(4) and
// BINARY(16); a snapshot reads them as the server's text. These render the
// bytes as that text. go-mysql drops a BINARY value's trailing zero bytes,
// so missing bytes are zeros.

// inet4Text renders 4 bytes as MariaDB prints an INET4: 10.0.0.1.
func inet4Text(b string) string {
	var buf [15]byte
	return string(appendInet4(buf[:0], b))
}

func appendInet4(dst []byte, b string) []byte {
	for i := range 4 {
		if i > 0 {
			dst = append(dst, '.')
		}
		dst = strconv.AppendUint(dst, uint64(byteAt(b, i)), 10)
	}
	return dst
}

// inet6Text renders 16 bytes as MariaDB's Inet6::to_string: lower-case hex
// words without leading zeros, the first longest run of zero words (even a
// single one) as "::", and an IPv4-compatible (::a.b.c.d) or IPv4-mapped
// (::ffff:a.b.c.d) address with its last 4 bytes dotted.
func inet6Text(b string) string {
	var buf [45]byte
	return string(appendInet6(buf[:0], b))
}

func appendInet6(out []byte, b string) []byte {
	var words [8]uint16
	for i := range words {
		words[i] = uint16(byteAt(b, 2*i))<<8 | uint16(byteAt(b, 2*i+1))
	}
	gapPos, gapLen := -1, 0
	for i := 0; i < 8; {
		if words[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && words[j] == 0 {
			j++
		}
		if j-i > gapLen {
			gapPos, gapLen = i, j-i
		}
		i = j
	}
	for i := 0; i < 8; i++ {
		switch {
		case i == gapPos:
			if i == 0 {
				out = append(out, ':')
			}
			out = append(out, ':')
			i += gapLen - 1
		case i == 6 && gapPos == 0 && (gapLen == 6 || gapLen == 5 && words[5] == 0xffff):
			return appendInet4(out, b[min(12, len(b)):])
		default:
			out = strconv.AppendUint(out, uint64(words[i]), 16)
			if i < 7 {
				out = append(out, ':')
			}
		}
	}
	return out
}

// uuidText renders 16 bytes as a UUID: 123e4567-e89b-12d3-a456-426655440000.
// MariaDB logs the bytes in the text's order (checked on 10.11, a version-1
// UUID included), whatever order it keeps them in on disk.
func uuidText(b string) string {
	var buf [36]byte
	return string(appendUUID(buf[:0], b))
}

func appendUUID(dst []byte, b string) []byte {
	const digits = "0123456789abcdef"
	var buf [36]byte
	n := 0
	for i := range 16 {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			buf[n] = '-'
			n++
		}
		c := byteAt(b, i)
		buf[n], buf[n+1] = digits[c>>4], digits[c&0xf]
		n += 2
	}
	return append(dst, buf[:]...)
}

func byteAt(b string, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}
