package snapshot

import (
	"errors"
	"strconv"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// fieldUint reads a non-negative integer from a text-protocol field, whether
// the client parsed it as a number or left it as text.
func fieldUint(fv *mysql.FieldValue) (uint64, error) {
	switch fv.Type {
	case mysql.FieldValueTypeUnsigned:
		return fv.AsUint64(), nil
	case mysql.FieldValueTypeSigned:
		if v := fv.AsInt64(); v >= 0 {
			return uint64(v), nil
		}
		return 0, errors.New("negative value")
	case mysql.FieldValueTypeString:
		return parseUint(fv.AsString())
	}
	return 0, errors.New("not a number")
}

func parseUint(b []byte) (uint64, error) { return strconv.ParseUint(string(b), 10, 64) }

func parseFloat(b []byte) float64 {
	v, _ := strconv.ParseFloat(string(b), 64)
	return v
}
