// Package charset converts text stored in a MySQL or MariaDB character set
// to UTF-8, for the character sets golang.org/x/text can decode.
//
// Row values carry a string column's bytes in the column's own charset
// (change/value.go), from the binlog and from a snapshot alike (the snapshot
// session sets character_set_results NULL); the codecs convert them when
// they write text. This package knows which charset is which encoding.
//
// What it is not: not the codecs' renderer (codecs/internal/render handles
// utf8*, ascii, latin1 and binary itself and calls here for the rest), and
// not an encoder: Sluice never writes to the source.
//
// Sharp edges:
//   - dec8, hp8, swe7, armscii8, keybcs2, macce and geostd8 have no decoder:
//     Lookup reports them, and the precheck names columns that use them.
//   - Some mappings are the closest x/text offers: tis620 is read as
//     Windows-874, gb2312 as GBK (a superset), cp932 and sjis as
//     Windows-31J, ujis and eucjpms as EUC-JP (vendor rows of eucjpms may
//     decode as U+FFFD).
//   - Invalid bytes become U+FFFD; a UCS-2/UTF-16/UTF-32 byte order mark is
//     a character (U+FEFF), not a marker: the server stores no BOM.
package charset
