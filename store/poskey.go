package store

import (
	"strconv"
	"strings"

	"github.com/sluicecdc/sluice/change"
)

// PosKey renders a binlog position as a schema history key that sorts in
// binlog order: "basename.<file index, 20 digits>:<offset, 10 digits>". The
// file index is the numeric extension of the binlog file name, so
// "mysql-bin.999999" sorts before "mysql-bin.1000000". A file name without a
// numeric extension keeps its name and index 0.
func PosKey(p change.Position) string {
	base, idx := p.File, uint64(0)
	if dot := strings.LastIndexByte(p.File, '.'); dot >= 0 {
		if n, err := strconv.ParseUint(p.File[dot+1:], 10, 64); err == nil {
			base, idx = p.File[:dot], n
		}
	}
	var b strings.Builder
	b.Grow(len(base) + 32)
	b.WriteString(base)
	b.WriteByte('.')
	writePadded(&b, idx, 20)
	b.WriteByte(':')
	writePadded(&b, uint64(p.Pos), 10)
	return b.String()
}

func writePadded(b *strings.Builder, v uint64, width int) {
	s := strconv.FormatUint(v, 10)
	for i := len(s); i < width; i++ {
		b.WriteByte('0')
	}
	b.WriteString(s)
}

// gtidKeyPrefix starts every GTID key. '~' sorts after the characters of
// binlog file names, so GTID keys follow every PosKey.
const gtidKeyPrefix = "~gtid:"

// GTIDKey renders a GTID ordinal (package gtid) as a schema history key:
// "~gtid:<ordinal, 20 digits>". GTID keys sort by ordinal and after every
// PosKey.
func GTIDKey(ordinal uint64) string {
	var b strings.Builder
	b.Grow(len(gtidKeyPrefix) + 20)
	b.WriteString(gtidKeyPrefix)
	writePadded(&b, ordinal, 20)
	return b.String()
}

// IsGTIDKey reports whether k is a GTIDKey.
func IsGTIDKey(k string) bool { return strings.HasPrefix(k, gtidKeyPrefix) }
