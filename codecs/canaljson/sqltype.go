package canaljson

import (
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs/internal/render"
)

// JDBC type codes (java.sql.Types) written in sqlType.
const (
	jdbcBit       = -7
	jdbcTinyInt   = -6
	jdbcBigInt    = -5
	jdbcBinary    = -2
	jdbcChar      = 1
	jdbcDecimal   = 3
	jdbcInteger   = 4
	jdbcSmallInt  = 5
	jdbcReal      = 7
	jdbcDouble    = 8
	jdbcVarchar   = 12
	jdbcDate      = 91
	jdbcTime      = 92
	jdbcTimestamp = 93
	jdbcBlob      = 2004
	jdbcClob      = 2005
)

// JDBCType returns the java.sql.Types code Canal reports for col: unsigned
// integers move up one size (BIGINT UNSIGNED is DECIMAL), YEAR is VARCHAR,
// ENUM is INTEGER and SET is BIT (Canal's choices), binary strings and BLOBs
// are BLOB and TEXT is CLOB. docs/types.md has the table.
func JDBCType(col *change.Column) int {
	switch col.Type {
	case change.TypeTiny:
		if col.Unsigned {
			return jdbcSmallInt
		}
		return jdbcTinyInt
	case change.TypeShort:
		if col.Unsigned {
			return jdbcInteger
		}
		return jdbcSmallInt
	case change.TypeInt24:
		return jdbcInteger
	case change.TypeLong:
		if col.Unsigned {
			return jdbcBigInt
		}
		return jdbcInteger
	case change.TypeLongLong:
		if col.Unsigned {
			return jdbcDecimal
		}
		return jdbcBigInt
	case change.TypeDecimal, change.TypeNewDecimal:
		return jdbcDecimal
	case change.TypeFloat:
		return jdbcReal
	case change.TypeDouble:
		return jdbcDouble
	case change.TypeBit:
		return jdbcBit
	case change.TypeYear:
		return jdbcVarchar
	case change.TypeDate, change.TypeNewDate:
		return jdbcDate
	case change.TypeTime, change.TypeTime2:
		return jdbcTime
	case change.TypeDateTime, change.TypeDateTime2, change.TypeTimestamp, change.TypeTimestamp2:
		return jdbcTimestamp
	case change.TypeVarchar, change.TypeVarString:
		if render.IsTextType(col) {
			return jdbcVarchar
		}
		return jdbcBlob
	case change.TypeString:
		if render.IsTextType(col) {
			return jdbcChar
		}
		return jdbcBlob
	case change.TypeTinyBlob, change.TypeMediumBlob, change.TypeLongBlob, change.TypeBlob:
		if render.IsTextType(col) {
			return jdbcClob
		}
		return jdbcBlob
	case change.TypeJSON:
		return jdbcVarchar
	case change.TypeEnum:
		return jdbcInteger
	case change.TypeSet:
		return jdbcBit
	case change.TypeGeometry:
		return jdbcBinary
	}
	return jdbcVarchar
}
