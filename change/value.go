package change

// Row values are `any` holding exactly one of these concrete types, whether
// the row came from the binlog or from a snapshot query:
//
//	nil                     SQL NULL
//	int8, int16, int32, int64, int
//	                        signed TINYINT..BIGINT; YEAR (int)
//	uint8, uint16, uint32, uint64
//	                        unsigned TINYINT..BIGINT
//	int64                   BIT(n) as its big-endian integer value
//	float32, float64        FLOAT, DOUBLE
//	string                  DECIMAL in plain notation ("-12.50");
//	                        DATE "2006-01-02"; TIME "[-]HHH:MM:SS[.ffffff]";
//	                        DATETIME and TIMESTAMP "2006-01-02 15:04:05[.ffffff]"
//	                        (TIMESTAMP rendered in UTC), zero dates as MySQL prints them;
//	                        ENUM and SET as their names in UTF-8 ("a,b" for a SET);
//	                        JSON as JSON text; CHAR/VARCHAR bytes in the
//	                        column's charset (binary columns too — see Column.Charset)
//	[]byte                  BLOB/TEXT family, BINARY/VARBINARY, GEOMETRY (WKB with SRID)
//
// The integer widths are kept as the decoder produced them, so that
// normalising never re-boxes a value; Int64 and Uint64 read any of them.

// Int64 returns a signed integer value of any width.
func Int64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case int:
		return int64(x), true
	}
	return 0, false
}

// Uint64 returns an unsigned integer value of any width.
func Uint64(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint64:
		return x, true
	case uint32:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint8:
		return uint64(x), true
	}
	return 0, false
}

// Bytes returns the bytes of a string or []byte value without copying a
// []byte; a string is converted (one allocation), so prefer switching on the
// type where that matters.
func Bytes(v any) ([]byte, bool) {
	switch x := v.(type) {
	case []byte:
		return x, true
	case string:
		return []byte(x), true
	}
	return nil, false
}

// Equal reports whether two values of one column are the same value. Bytes
// are compared by content: a []byte value is not comparable with ==.
func Equal(a, b any) bool {
	if ab, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && string(ab) == string(bb) && (ab == nil) == (bb == nil)
	}
	if _, ok := b.([]byte); ok {
		return false
	}
	return a == b
}
