package binlogreader

import (
	"math/bits"

	"github.com/sluicecdc/sluice/change"
	"strconv"
	"strings"
	"time"
)

// Size accounting: a cheap estimate of a change's decoded footprint, not an
// exact measure. Every value costs its interface word pair plus its bytes.
const (
	valueOverhead  = 16
	changeOverhead = 96
)

var emptyString any = ""

const zeros = "000000"

// normalizeRows normalizes every row of a rows event go-mysql decoded.
func (e *tableEntry) normalizeRows(rows [][]any) {
	if len(e.fixes) == 0 {
		return
	}
	for _, row := range rows {
		e.normalize(row)
	}
}

// normalize rewrites, in place, the values go-mysql decodes differently from
// change/value.go: ENUM indexes become names, SET masks become "a,b", an empty
// MySQL JSON document becomes "null", MariaDB's INET4, INET6 and UUID bytes
// their text. Everything else already matches. Rows
// are freshly allocated by go-mysql per event, so rewriting them is safe.
func (e *tableEntry) normalize(row []any) {
	for i := range e.fixes {
		f := &e.fixes[i]
		if f.col >= len(row) {
			continue
		}
		switch f.kind {
		case fixEnum:
			idx, ok := row[f.col].(int64)
			if !ok {
				continue
			}
			switch {
			case idx == 0: // the "" error value of an ENUM
				row[f.col] = emptyString
			case idx > 0 && int(idx) <= len(f.names):
				row[f.col] = f.names[idx-1]
			default:
				row[f.col] = strconv.FormatInt(idx, 10)
			}
		case fixSet:
			mask, ok := row[f.col].(int64)
			if !ok {
				continue
			}
			row[f.col] = setNames(uint64(mask), f.elems)
		case fixJSON:
			if b, ok := row[f.col].([]byte); ok && len(b) == 0 {
				row[f.col] = "null"
			}
		case fixTimeFrac:
			if s, ok := row[f.col].(string); ok && strings.IndexByte(s, '.') < 0 {
				row[f.col] = s + "." + zeros[:f.n]
			}
		case fixTemporal:
			if t, ok := row[f.col].(time.Time); ok {
				row[f.col] = temporalText(t, f.n)
			}
		case fixUnsigned:
			row[f.col] = unsignedValue(row[f.col], byte(f.n))
		case fixInet4, fixInet6, fixUUID:
			if s, ok := row[f.col].(string); ok {
				row[f.col] = textOf(f.kind, s)
			}
		case fixBinaryPad:
			if s, ok := row[f.col].(string); ok && len(s) < f.n {
				row[f.col] = s + strings.Repeat("\x00", f.n-len(s))
			}
		}
	}
}

// textOf renders the bytes of an INET4, INET6 or UUID value as its text.
func textOf(k fixKind, b string) string {
	switch k {
	case fixInet4:
		return inet4Text(b)
	case fixInet6:
		return inet6Text(b)
	}
	return uuidText(b)
}

// unsignedValue reinterprets an integer go-mysql decoded as signed (the
// TABLE_MAP did not say the column is unsigned) as the unsigned value of the
// column's width.
func unsignedValue(v any, tp byte) any {
	switch x := v.(type) {
	case int8:
		return uint8(x)
	case int16:
		return uint16(x)
	case int32:
		if tp == change.TypeInt24 {
			return uint32(x) & 0xffffff
		}
		return uint32(x)
	case int64:
		return uint64(x)
	}
	return v
}

// setNames renders a SET bit mask as its comma-separated element names, in
// definition order, as MySQL prints it. Bits without an element are ignored.
func setNames(mask uint64, elems []string) string {
	if mask == 0 {
		return ""
	}
	if bits.OnesCount64(mask) == 1 {
		i := bits.TrailingZeros64(mask)
		if i < len(elems) {
			return elems[i]
		}
		return ""
	}
	var buf [128]byte
	return string(appendSetNames(buf[:0], mask, elems))
}

// appendSetNames appends the names of a SET mask's elements, comma-separated.
func appendSetNames(dst []byte, mask uint64, elems []string) []byte {
	start := len(dst)
	for i := 0; i < len(elems) && i < 64; i++ {
		if mask&(1<<uint(i)) == 0 {
			continue
		}
		if len(dst) > start { // as it always was: no comma after an empty first name
			dst = append(dst, ',')
		}
		dst = append(dst, elems[i]...)
	}
	return dst
}

// rowSize estimates the bytes a decoded row holds.
func rowSize(row []any) int {
	n := len(row) * valueOverhead
	for _, v := range row {
		switch x := v.(type) {
		case string:
			n += len(x)
		case []byte:
			n += len(x)
		}
	}
	return n
}
