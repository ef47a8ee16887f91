package render

import (
	"sync"
	"unicode/utf8"

	"github.com/sluicecdc/sluice/internal/charset"
)

const hexDigits = "0123456789abcdef"

// noEscape[b] is true for ASCII bytes that appear unescaped in a JSON string.
var noEscape = func() (t [256]bool) {
	for b := 0x20; b < 0x80; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// JSONString appends s as a quoted JSON string. Invalid UTF-8 bytes are
// written as U+FFFD; U+2028 and U+2029 are escaped so that the output is also
// valid JavaScript.
func JSONString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	dst = jsonBody(dst, s)
	return append(dst, '"')
}

func jsonBody[S ~string | ~[]byte](dst []byte, s S) []byte {
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if noEscape[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = escapeASCII(dst, b)
			i++
			start = i
			continue
		}
		r, size := decodeRune(s[i:])
		if size == 0 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\ufffd"...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// JSONLatin appends b as a quoted JSON string, reading each byte as one
// character (ISO-8859-1, or Windows-1252 when cp1252 is set, which is what
// MySQL's latin1 really is).
func JSONLatin[S ~string | ~[]byte](dst []byte, b S, cp1252 bool) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < utf8.RuneSelf && noEscape[c]:
			dst = append(dst, c)
		case c < utf8.RuneSelf:
			dst = escapeASCII(dst, c)
		case cp1252 && c >= 0x80 && c < 0xa0:
			dst = utf8.AppendRune(dst, cp1252High[c-0x80])
		default:
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return append(dst, '"')
}

// cp1252High maps Windows-1252 bytes 0x80..0x9F; the five undefined bytes map
// to the C1 control with the same number, as MySQL and Java do.
var cp1252High = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// TextKind says how a column's bytes become text. The zero value is
// TextUTF8.
type TextKind struct {
	base textBase
	dec  *charset.Decoder // for textDecoded
}

type textBase uint8

const (
	textUTF8 textBase = iota
	textLatin1
	textBinary
	textDecoded // another charset, through internal/charset
)

var (
	// TextUTF8 is utf8mb4, utf8mb3, utf8, ascii and any charset Sluice
	// cannot convert (the precheck names those): bytes are written as UTF-8
	// (invalid sequences as U+FFFD).
	TextUTF8 = TextKind{}
	// TextLatin1 is MySQL's latin1 (Windows-1252).
	TextLatin1 = TextKind{base: textLatin1}
	// TextBinary is the binary charset: one character per byte (ISO-8859-1).
	TextBinary = TextKind{base: textBinary}
)

// KindOf returns how text in charset is converted: latin1 and binary here,
// the charsets internal/charset decodes (gbk, big5, sjis, ucs2, cp1251…)
// through it, the rest as UTF-8.
func KindOf(cs string) TextKind {
	switch cs {
	case "binary":
		return TextBinary
	case "latin1":
		return TextLatin1
	}
	if d := charset.Lookup(cs); d != nil {
		return TextKind{base: textDecoded, dec: d}
	}
	return TextUTF8
}

// decoded holds UTF-8 decoded from another charset until it is escaped.
var decoded = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxPooled bounds the buffers kept in decoded: one huge value must not
// stay pinned.
const maxPooled = 64 << 10

// JSONText appends b, text in a column of kind k, as a JSON string.
func JSONText[S ~string | ~[]byte](dst []byte, b S, k TextKind) []byte {
	switch k.base {
	case textBinary:
		return JSONLatin(dst, b, false)
	case textLatin1:
		return JSONLatin(dst, b, true)
	case textDecoded:
		buf := decoded.Get().(*[]byte)
		*buf = charset.AppendUTF8(k.dec, (*buf)[:0], b)
		dst = JSONString(dst, *buf)
		if cap(*buf) <= maxPooled {
			decoded.Put(buf)
		}
		return dst
	}
	return JSONString(dst, b)
}

// escapeASCII appends the JSON escape of an ASCII byte that needs one.
func escapeASCII(dst []byte, b byte) []byte {
	switch b {
	case '"', '\\':
		return append(dst, '\\', b)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
}

// decodeRune decodes the UTF-8 sequence at the start of s (which starts with
// a byte >= 0x80). size is 0 when the sequence is invalid (bad lead byte,
// truncated, overlong, surrogate or above U+10FFFF).
func decodeRune[S ~string | ~[]byte](s S) (r rune, size int) {
	n := len(s)
	b0 := s[0]
	switch {
	case b0 >= 0xc2 && b0 <= 0xdf:
		if n < 2 || s[1]&0xc0 != 0x80 {
			return 0, 0
		}
		return rune(b0&0x1f)<<6 | rune(s[1]&0x3f), 2
	case b0 >= 0xe0 && b0 <= 0xef:
		if n < 3 || s[1]&0xc0 != 0x80 || s[2]&0xc0 != 0x80 {
			return 0, 0
		}
		r = rune(b0&0x0f)<<12 | rune(s[1]&0x3f)<<6 | rune(s[2]&0x3f)
		if r < 0x800 || (r >= 0xd800 && r <= 0xdfff) {
			return 0, 0
		}
		return r, 3
	case b0 >= 0xf0 && b0 <= 0xf4:
		if n < 4 || s[1]&0xc0 != 0x80 || s[2]&0xc0 != 0x80 || s[3]&0xc0 != 0x80 {
			return 0, 0
		}
		r = rune(b0&0x07)<<18 | rune(s[1]&0x3f)<<12 | rune(s[2]&0x3f)<<6 | rune(s[3]&0x3f)
		if r < 0x10000 || r > 0x10ffff {
			return 0, 0
		}
		return r, 4
	}
	return 0, 0
}

// AppendUTF8 appends b, text in a column of kind k, as UTF-8 without quotes
// or escapes (an Avro string's body): Latin-1, binary and other charsets'
// bytes are transcoded, and invalid UTF-8 becomes U+FFFD as in the JSON
// formats.
func AppendUTF8[S ~string | ~[]byte](dst []byte, b S, k TextKind) []byte {
	switch k.base {
	case textDecoded:
		return charset.AppendUTF8(k.dec, dst, b)
	case textBinary, textLatin1:
		for i := 0; i < len(b); i++ {
			c := b[i]
			switch {
			case c < utf8.RuneSelf:
				dst = append(dst, c)
			case k.base == textLatin1 && c < 0xa0:
				dst = utf8.AppendRune(dst, cp1252High[c-0x80])
			default:
				dst = utf8.AppendRune(dst, rune(c))
			}
		}
		return dst
	}
	// Copy runs of valid UTF-8 at once; only invalid bytes are replaced.
	start := 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		if _, size := decodeRune(b[i:]); size > 0 {
			i += size
			continue
		}
		dst = append(dst, b[start:i]...)
		dst = utf8.AppendRune(dst, utf8.RuneError)
		i++
		start = i
	}
	return append(dst, b[start:]...)
}
