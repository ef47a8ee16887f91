package render

// AppendUnscaled appends the DECIMAL text s ("-12.50") scaled to scale as the
// minimal big-endian two's-complement bytes of its unscaled value (what
// Java's BigInteger.toByteArray gives, the body of Avro's and Kafka
// Connect's decimal). It fails on text that is not a decimal number, on more
// non-zero fraction digits than scale, and past 65 digits.
func AppendUnscaled(dst []byte, s string, scale int) ([]byte, bool) {
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	// Magnitude as little-endian base-256 digits; 65 decimal digits < 2^216.
	var mag [32]byte
	n := 1
	mulAdd := func(d byte) bool {
		carry := uint(d)
		for i := 0; i < n; i++ {
			x := uint(mag[i])*10 + carry
			mag[i] = byte(x)
			carry = x >> 8
		}
		for carry > 0 {
			if n == len(mag) {
				return false
			}
			mag[n] = byte(carry)
			carry >>= 8
			n++
		}
		return true
	}
	frac, seenPoint := 0, false
	if s == "" {
		return dst, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.' && !seenPoint:
			seenPoint = true
		case c >= '0' && c <= '9':
			if seenPoint {
				frac++
				if frac > scale {
					if c != '0' {
						return dst, false // more fraction digits than the scale
					}
					continue
				}
			}
			if !mulAdd(c - '0') {
				return dst, false
			}
		default:
			return dst, false
		}
	}
	for ; frac < scale; frac++ {
		if !mulAdd(0) {
			return dst, false
		}
	}
	// Big-endian two's complement, minimal length.
	m := n
	for m > 1 && mag[m-1] == 0 {
		m--
	}
	zero := m == 1 && mag[0] == 0
	if neg && !zero {
		// Two's complement of the magnitude over m+1 bytes.
		carry := uint(1)
		for i := 0; i <= m; i++ {
			x := uint(^mag[i]) + carry
			mag[i] = byte(x)
			carry = x >> 8
		}
		m++
		for m > 1 && mag[m-1] == 0xff && mag[m-2]&0x80 != 0 {
			m--
		}
	} else if mag[m-1]&0x80 != 0 {
		m++ // room for a zero sign byte (mag[m-1] is 0)
	}
	for i := m - 1; i >= 0; i-- {
		dst = append(dst, mag[i])
	}
	return dst, true
}

// AppendUnscaledUint appends u as the minimal big-endian two's-complement
// bytes of a non-negative integer (a leading zero byte when the top bit is
// set): BIGINT UNSIGNED as a decimal of scale 0.
func AppendUnscaledUint(dst []byte, u uint64) []byte {
	n := 8
	for n > 1 && byte(u>>(8*(n-1))) == 0 {
		n--
	}
	if byte(u>>(8*(n-1)))&0x80 != 0 {
		dst = append(dst, 0)
	}
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(u>>(8*i)))
	}
	return dst
}
