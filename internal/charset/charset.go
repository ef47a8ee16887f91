package charset

import (
	"slices"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
	"golang.org/x/text/transform"
)

// Decoder converts the text of one character set to UTF-8. It is safe for
// concurrent use.
type Decoder struct {
	name string
	// table is set for single-byte charsets: the rune of each byte.
	table *[256]rune
	// pool holds the state of multi-byte charsets: a transformer keeps state
	// between calls, so each call takes its own.
	pool *sync.Pool
}

// state is one call's transformer and input window: the window lets a
// string be decoded without copying it whole, and lives here because a
// buffer passed to an interface method would escape.
type state struct {
	t  transform.Transformer
	in [512]byte
}

// Name is the MySQL name of the decoder's character set.
func (d *Decoder) Name() string { return d.name }

// AppendUTF8 appends b, text in d's charset, to dst as UTF-8. Apart from
// growing dst it does not allocate.
func AppendUTF8[S ~string | ~[]byte](d *Decoder, dst []byte, b S) []byte {
	if d.table != nil {
		dst = slices.Grow(dst, len(b))
		for i := 0; i < len(b); i++ {
			if c := b[i]; c < utf8.RuneSelf {
				dst = append(dst, c)
			} else {
				dst = utf8.AppendRune(dst, d.table[c])
			}
		}
		return dst
	}
	st := d.pool.Get().(*state)
	defer d.pool.Put(st)
	st.t.Reset()
	pending, next := 0, 0
	for {
		n := copy(st.in[pending:], b[next:])
		next += n
		pending += n
		eof := next == len(b)
		dst = slices.Grow(dst, 2*pending+utf8.UTFMax)
		written, read, err := st.t.Transform(dst[len(dst):cap(dst)], st.in[:pending], eof)
		dst = dst[:len(dst)+written]
		pending = copy(st.in[:], st.in[read:pending])
		// The decoders replace invalid input with U+FFFD; what is left is
		// a short buffer on either side.
		if err == nil && eof || err != nil && err != transform.ErrShortDst && err != transform.ErrShortSrc {
			return dst
		}
	}
}

// encodings maps MySQL and MariaDB charset names to their encodings; the
// UTF-8 family, ascii, latin1 and binary are not here (Lookup's caller
// handles them).
var encodings = map[string]encoding.Encoding{
	"big5":     traditionalchinese.Big5,
	"cp850":    charmap.CodePage850,
	"cp852":    charmap.CodePage852,
	"cp866":    charmap.CodePage866,
	"cp932":    japanese.ShiftJIS,
	"cp1250":   charmap.Windows1250,
	"cp1251":   charmap.Windows1251,
	"cp1256":   charmap.Windows1256,
	"cp1257":   charmap.Windows1257,
	"eucjpms":  japanese.EUCJP,
	"euckr":    korean.EUCKR,
	"gb2312":   simplifiedchinese.GBK,
	"gb18030":  simplifiedchinese.GB18030,
	"gbk":      simplifiedchinese.GBK,
	"greek":    charmap.ISO8859_7,
	"hebrew":   charmap.ISO8859_8,
	"koi8r":    charmap.KOI8R,
	"koi8u":    charmap.KOI8U,
	"latin2":   charmap.ISO8859_2,
	"latin5":   charmap.ISO8859_9,
	"latin7":   charmap.ISO8859_13,
	"macroman": charmap.Macintosh,
	"sjis":     japanese.ShiftJIS,
	"tis620":   charmap.Windows874,
	"ucs2":     unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"ujis":     japanese.EUCJP,
	"utf16":    unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16le":  unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM),
	"utf32":    utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM),
}

var (
	mu       sync.Mutex
	decoders = map[string]*Decoder{}
)

// Lookup returns the decoder of a MySQL charset name; nil when Sluice
// cannot decode it. The UTF-8 family, ascii, latin1 and binary have none:
// their bytes need no decoder (see Native).
func Lookup(name string) *Decoder {
	enc, ok := encodings[name]
	if !ok {
		return nil
	}
	mu.Lock()
	defer mu.Unlock()
	if d := decoders[name]; d != nil {
		return d
	}
	d := &Decoder{name: name}
	if cm, ok := enc.(*charmap.Charmap); ok {
		d.table = new([256]rune)
		for i := range d.table {
			d.table[i] = cm.DecodeByte(byte(i))
		}
	} else {
		d.pool = &sync.Pool{New: func() any { return &state{t: enc.NewDecoder().Transformer} }}
	}
	decoders[name] = d
	return d
}

// IsUTF8 reports the charsets whose bytes are UTF-8 text: the utf8 family
// and ascii (and "", no charset).
func IsUTF8(name string) bool {
	switch name {
	case "utf8mb4", "utf8mb3", "utf8", "ascii", "":
		return true
	}
	return false
}

// Native reports the charsets that need no Decoder: UTF-8 (IsUTF8) and
// those with a rendering of their own (latin1, binary). A charset that is
// neither Native nor found by Lookup cannot be decoded.
func Native(name string) bool {
	return IsUTF8(name) || name == "latin1" || name == "binary"
}
