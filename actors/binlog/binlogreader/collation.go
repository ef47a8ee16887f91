package binlogreader

import "strconv"

// charsetByCollation maps the collation ids of MySQL and MariaDB (the ids
// TABLE_MAP's optional metadata carries) to their character set. Ids shared
// by both servers agree below 256.
var charsetByCollation = func() map[uint64]string {
	m := make(map[uint64]string, 320)
	set := func(cs string, ids ...uint64) {
		for _, id := range ids {
			m[id] = cs
		}
	}
	span := func(cs string, from, to uint64) {
		for id := from; id <= to; id++ {
			m[id] = cs
		}
	}
	set("big5", 1, 84)
	set("latin2", 2, 9, 21, 27, 77)
	set("dec8", 3, 69)
	set("cp850", 4, 80)
	set("latin1", 5, 8, 15, 31, 47, 48, 49, 94)
	set("hp8", 6, 72)
	set("koi8r", 7, 74)
	set("swe7", 10, 82)
	set("ascii", 11, 65)
	set("ujis", 12, 91)
	set("sjis", 13, 88)
	set("cp1251", 14, 23, 50, 51, 52)
	set("hebrew", 16, 71)
	set("tis620", 18, 89)
	set("euckr", 19, 85)
	set("latin7", 20, 41, 42, 79)
	set("koi8u", 22, 75)
	set("gb2312", 24, 86)
	set("greek", 25, 70)
	set("cp1250", 26, 34, 44, 66, 99)
	set("gbk", 28, 87)
	set("cp1257", 29, 58, 59)
	set("latin5", 30, 78)
	set("armscii8", 32, 64)
	set("utf8mb3", 33, 76, 83, 223)
	span("utf8mb3", 192, 215)
	set("ucs2", 35, 90, 159)
	span("ucs2", 128, 151)
	set("cp866", 36, 68)
	set("keybcs2", 37, 73)
	set("macce", 38, 43)
	set("macroman", 39, 53)
	set("cp852", 40, 81)
	set("utf8mb4", 45, 46)
	span("utf8mb4", 224, 247)
	span("utf8mb4", 255, 323) // MySQL 8 utf8mb4_0900_* and friends
	set("cp1256", 57, 67)
	set("utf16", 54, 55)
	span("utf16", 101, 124)
	set("utf16le", 56, 62)
	set("utf32", 60, 61)
	span("utf32", 160, 183)
	set("binary", 63)
	set("geostd8", 92, 93)
	set("cp932", 95, 96)
	set("eucjpms", 97, 98)
	set("gb18030", 248, 249, 250)
	return m
}()

// charsetOf returns the character set of a collation id, "unknown-<id>"
// when the id is not known.
func charsetOf(id uint64) string {
	if cs, ok := charsetByCollation[id]; ok {
		return cs
	}
	switch {
	case id >= 1024 && id < 2048: // MariaDB NO PAD variants: base id + 1024
		if cs, ok := charsetByCollation[id-1024]; ok {
			return cs
		}
	case id >= 2048 && id < 2304: // MariaDB 10.10+ UCA 14.0.0 collations
		return "utf8mb3"
	case id >= 2304 && id < 2560:
		return "utf8mb4"
	case id >= 2560 && id < 2816:
		return "ucs2"
	case id >= 2816 && id < 3072:
		return "utf16"
	case id >= 3072 && id < 3328:
		return "utf32"
	}
	return "unknown-" + strconv.FormatUint(id, 10)
}

// maxBytesPerChar is the longest character of a character set in bytes; the
// binlog gives CHAR and VARCHAR lengths in bytes.
func maxBytesPerChar(cs string) int {
	switch cs {
	case "utf8mb4", "utf16", "utf16le", "utf32", "gb18030":
		return 4
	case "utf8mb3", "ujis", "eucjpms":
		return 3
	case "ucs2", "big5", "sjis", "euckr", "gb2312", "gbk", "cp932":
		return 2
	}
	return 1
}
