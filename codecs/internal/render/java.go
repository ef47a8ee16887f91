package render

import (
	"math"
	"strconv"
)

// JavaDouble appends f as Java's Double.toString renders it (JDK 19 and
// later, which print the shortest decimal that reads back as the same
// double): "100.0", "0.1", "1.0E10", "1.0E-5", "-0.0", "NaN", "Infinity".
func JavaDouble(dst []byte, f float64) []byte { return javaFloat(dst, f, 64) }

// JavaFloat appends f as Java's Float.toString renders it: the same rules
// applied to the float32 itself, so FLOAT 0.1 is "0.1", not the double
// 0.10000000149011612.
func JavaFloat(dst []byte, f float32) []byte { return javaFloat(dst, float64(f), 32) }

func javaFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	// Shortest digits in the form d[.ddd]e±xx.
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, bits)
	var digits [20]byte
	nd, exp := splitE(e, digits[:])
	if nd == 1 {
		// Java never prints a single significant digit when a two-digit
		// decimal is closer to the value (4.9E-324, not 5.0E-324).
		e = strconv.AppendFloat(buf[:0], f, 'e', 1, bits)
		nd, exp = splitE(e, digits[:])
		for nd > 1 && digits[nd-1] == '0' {
			nd--
		}
	}
	d := digits[:nd]
	if exp >= -3 && exp < 7 {
		// Plain notation: value = 0.d × 10^(exp+1).
		if exp < 0 {
			dst = append(dst, '0', '.')
			for i := -1; i > exp; i-- {
				dst = append(dst, '0')
			}
			return append(dst, d...)
		}
		intLen := exp + 1
		if nd <= intLen {
			dst = append(dst, d...)
			for i := nd; i < intLen; i++ {
				dst = append(dst, '0')
			}
			return append(dst, '.', '0')
		}
		dst = append(dst, d[:intLen]...)
		dst = append(dst, '.')
		return append(dst, d[intLen:]...)
	}
	dst = append(dst, d[0], '.')
	if nd == 1 {
		dst = append(dst, '0')
	} else {
		dst = append(dst, d[1:]...)
	}
	dst = append(dst, 'E')
	return strconv.AppendInt(dst, int64(exp), 10)
}

// splitE reads "d.ddde±xx" (or "de±xx") into its digits and exponent.
func splitE(e []byte, digits []byte) (nd, exp int) {
	i := 0
	for ; i < len(e) && e[i] != 'e'; i++ {
		if e[i] != '.' {
			digits[nd] = e[i]
			nd++
		}
	}
	neg := e[i+1] == '-'
	for _, c := range e[i+2:] {
		exp = exp*10 + int(c-'0')
	}
	if neg {
		exp = -exp
	}
	return nd, exp
}
