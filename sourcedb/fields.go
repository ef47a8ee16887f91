package sourcedb

import (
	"errors"
	"strconv"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// FieldUint reads a non-negative integer from a result field, whether the
// client parsed it as a number or left it as text.
func FieldUint(fv *mysql.FieldValue) (uint64, error) {
	switch fv.Type {
	case mysql.FieldValueTypeUnsigned:
		return fv.AsUint64(), nil
	case mysql.FieldValueTypeSigned:
		if v := fv.AsInt64(); v >= 0 {
			return uint64(v), nil
		}
		return 0, errors.New("negative value")
	case mysql.FieldValueTypeString:
		return strconv.ParseUint(string(fv.AsString()), 10, 64)
	}
	return 0, errors.New("not a number")
}
