package transform

// dec is an exact decimal number parsed from text without allocating:
// value = sign × 0.d₁d₂d₃… × 10^point, where the digits are ip followed by
// fp with leading zeros skipped (lead of them) and trailing zeros
// meaningless. Zero has no digits.
type dec struct {
	neg    bool
	ip, fp string // integer and fraction digits as written
	lead   int    // leading zeros to skip over ip+fp
	n      int    // significant digits (len(ip)+len(fp)-lead, trailing zeros included)
	point  int
}

// parseDec parses [+-]digits[.digits][e[+-]digits] (at least one digit in
// the mantissa). Surrounding spaces are not accepted: values are compared as
// MySQL stores them, and DECIMAL text never has any.
func parseDec(s string) (d dec, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	d.ip = s[start:i]
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		d.fp = s[start:i]
	}
	if len(d.ip)+len(d.fp) == 0 {
		return dec{}, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return dec{}, false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if exp < 1<<20 {
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return dec{}, false
	}
	total := len(d.ip) + len(d.fp)
	for d.lead < total && d.digit(d.lead) == '0' {
		d.lead++
	}
	d.n = total - d.lead
	d.point = len(d.ip) - d.lead + exp
	return d, true
}

// digit returns the i-th digit of ip+fp.
func (d *dec) digit(i int) byte {
	if i < len(d.ip) {
		return d.ip[i]
	}
	return d.fp[i-len(d.ip)]
}

// sig returns the i-th significant digit, '0' past the end.
func (d *dec) sig(i int) byte {
	if i >= d.n {
		return '0'
	}
	return d.digit(d.lead + i)
}

func (d *dec) isZero() bool {
	for i := 0; i < d.n; i++ {
		if d.sig(i) != '0' {
			return false
		}
	}
	return true
}

// cmpDec compares a and b exactly: -1, 0 or +1.
func cmpDec(a, b *dec) int {
	az, bz := a.isZero(), b.isZero()
	switch {
	case az && bz:
		return 0
	case az:
		if b.neg {
			return 1
		}
		return -1
	case bz:
		if a.neg {
			return -1
		}
		return 1
	case a.neg != b.neg:
		if a.neg {
			return -1
		}
		return 1
	}
	sign := 1
	if a.neg {
		sign = -1
	}
	if a.point != b.point {
		if a.point > b.point {
			return sign
		}
		return -sign
	}
	for i := 0; i < max(a.n, b.n); i++ {
		if x, y := a.sig(i), b.sig(i); x != y {
			if x > y {
				return sign
			}
			return -sign
		}
	}
	return 0
}
