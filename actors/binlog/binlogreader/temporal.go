package binlogreader

import "time"

// temporalText renders a DATETIME or TIMESTAMP value go-mysql decoded as
// time.Time (ParseTime) as go-mysql's string form would have it: UTC,
// "2006-01-02 15:04:05" and dec fractional digits, truncated. Values
// go-mysql cannot represent as time.Time (zero dates, DATETIME before 1970)
// stay the strings it makes.
func temporalText(t time.Time, dec int) string {
	var b [26]byte
	return string(appendTime(b[:0], t, dec))
}

// appendTime appends temporalText(t, dec).
func appendTime(dst []byte, t time.Time, dec int) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, second := t.Clock()
	return appendTemporal(dst, year, int(month), day, hour, minute, second, t.Nanosecond()/1000, dec)
}

// appendTemporal renders "2006-01-02 15:04:05" and dec digits of usec; the
// year is cut to 4 digits and each field to its width, as temporalText has
// always rendered them.
func appendTemporal(dst []byte, year, month, day, hour, minute, second, usec, dec int) []byte {
	var b [26]byte
	put := func(at, v, digits int) {
		for i := at + digits - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, year, 4)
	b[4] = '-'
	put(5, month, 2)
	b[7] = '-'
	put(8, day, 2)
	b[10] = ' '
	put(11, hour, 2)
	b[13] = ':'
	put(14, minute, 2)
	b[16] = ':'
	put(17, second, 2)
	if dec == 0 {
		return append(dst, b[:19]...)
	}
	b[19] = '.'
	put(20, usec, 6)
	return append(dst, b[:20+dec]...)
}
