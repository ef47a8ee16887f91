package canaljson

import (
	"slices"
	"strconv"
	"strings"

	"github.com/sluicecdc/sluice/change"
)

// Open-source Canal writes ENUM and SET as the binlog holds them: the
// 1-based index of the ENUM value and the SET's bit mask (RowsLogBuffer reads
// them as numbers, LogEventConvert writes String.valueOf). Rows carry the
// names (change/value.go), so the canal flavour maps them back.

// appendNumbered writes the ENUM or SET value name of col as Canal does.
func appendNumbered(v []byte, col *change.Column, name string) ([]byte, bool) {
	if col.Type == change.TypeSet {
		return appendSetMask(v, col.Elements, name)
	}
	return appendEnumIndex(v, col.Elements, name)
}

// appendEnumIndex writes name's index in elems: 0 for the "" an invalid
// value becomes (unless "" is an element), and the text itself when it is
// already an index (one past the elements, as the binlog decoder leaves it).
func appendEnumIndex(v []byte, elems []string, name string) ([]byte, bool) {
	i := slices.Index(elems, name) + 1
	if i == 0 && name != "" {
		if _, err := strconv.ParseUint(name, 10, 16); err != nil {
			return v, false
		}
		v = append(v, '"')
		v = append(v, name...)
		return append(v, '"'), true
	}
	v = append(v, '"')
	v = strconv.AppendInt(v, int64(i), 10)
	return append(v, '"'), true
}

// appendSetMask writes the bit mask of the comma-separated names: bit i for
// elems[i].
func appendSetMask(v []byte, elems []string, names string) ([]byte, bool) {
	var mask uint64
	for rest := names; rest != ""; {
		var name string
		name, rest, _ = strings.Cut(rest, ",")
		i := slices.Index(elems, name)
		if i < 0 || i >= 64 {
			return v, false
		}
		mask |= 1 << i
	}
	v = append(v, '"')
	v = strconv.AppendUint(v, mask, 10)
	return append(v, '"'), true
}
