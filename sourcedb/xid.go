package sourcedb

import (
	"encoding/hex"
	"strconv"
	"strings"
)

// XID identifies an XA transaction: its format id, global transaction id
// and branch qualifier.
type XID struct {
	FormatID     uint32
	GTRID, BQual string
}

// String renders x as servers write it in the binlog, for example
//
//	X'6162',X'',1
func (x XID) String() string {
	return "X'" + hex.EncodeToString([]byte(x.GTRID)) + "',X'" + hex.EncodeToString([]byte(x.BQual)) + "'," +
		strconv.FormatUint(uint64(x.FormatID), 10)
}

// ParseXID reads the XID of an XA statement: after its two keywords,
// gtrid[,bqual[,formatID]], each string an X'hex', 0xhex or quoted literal.
// Servers write the X'hex' form in the binlog whatever the client wrote:
//
//	XA COMMIT X'62',X'',1
func ParseXID(q string) (XID, bool) {
	l := lexer{s: q}
	if !strings.EqualFold(l.word(), "XA") || l.word() == "" {
		return XID{}, false
	}
	x := XID{FormatID: 1}
	var ok bool
	if x.GTRID, ok = l.xidString(); !ok {
		return XID{}, false
	}
	if !l.comma() {
		return x, true
	}
	if x.BQual, ok = l.xidString(); !ok {
		return XID{}, false
	}
	if !l.comma() {
		return x, true
	}
	n, err := strconv.ParseUint(l.word(), 10, 32)
	if err != nil {
		return XID{}, false
	}
	x.FormatID = uint32(n)
	return x, true
}

// comma consumes a comma after blanks.
func (l *lexer) comma() bool {
	l.blank()
	if l.pos < len(l.s) && l.s[l.pos] == ',' {
		l.pos++
		return true
	}
	return false
}

// xidString reads X'hex', 0xhex or a quoted string (” and \' escape a quote).
func (l *lexer) xidString() (string, bool) {
	l.blank()
	rest := l.s[l.pos:]
	switch {
	case len(rest) >= 2 && (rest[0] == 'X' || rest[0] == 'x') && rest[1] == '\'':
		end := strings.IndexByte(rest[2:], '\'')
		if end < 0 {
			return "", false
		}
		b, err := hex.DecodeString(rest[2 : 2+end])
		l.pos += 2 + end + 1
		return string(b), err == nil
	case strings.HasPrefix(rest, "0x"):
		w := l.word()
		b, err := hex.DecodeString(w[2:])
		return string(b), err == nil
	case len(rest) > 0 && (rest[0] == '\'' || rest[0] == '"'):
		q := rest[0]
		var b strings.Builder
		for i := 1; i < len(rest); i++ {
			c := rest[i]
			switch {
			case c == '\\' && i+1 < len(rest):
				i++
				b.WriteByte(unescape(rest[i]))
			case c == q && i+1 < len(rest) && rest[i+1] == q:
				b.WriteByte(q)
				i++
			case c == q:
				l.pos += i + 1
				return b.String(), true
			default:
				b.WriteByte(c)
			}
		}
	}
	return "", false
}
