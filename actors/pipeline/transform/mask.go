package transform

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/topology"
)

// redacted is boxed once so that redacting does not allocate.
var redacted any = "***"

// maskValue applies a mask to one value. NULL stays NULL under every mask:
// masking hides a value, it does not invent one.
func maskValue(k topology.MaskKind, v any) any {
	if v == nil {
		return nil
	}
	switch k {
	case topology.MaskNull:
		return nil
	case topology.MaskRedact:
		return redacted
	case topology.MaskHash:
		var buf [32]byte
		sum := sha256.Sum256(valueText(buf[:0], v))
		return hex.EncodeToString(sum[:])
	}
	return v
}

// valueText appends the text of a value as MySQL prints it: strings and
// bytes as they are, integers in decimal, floats in the shortest form that
// round-trips.
func valueText(dst []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return append(dst, x...)
	case []byte:
		return append(dst, x...)
	case float64:
		return strconv.AppendFloat(dst, x, 'g', -1, 64)
	case float32:
		return strconv.AppendFloat(dst, float64(x), 'g', -1, 32)
	}
	if i, ok := change.Int64(v); ok {
		return strconv.AppendInt(dst, i, 10)
	}
	if u, ok := change.Uint64(v); ok {
		return strconv.AppendUint(dst, u, 10)
	}
	return dst
}

// maskedColumn is the output definition of a masked column: redacted and
// hashed values are text whatever the column was, so the column says so
// (codecs and schema registries then describe what they write).
func maskedColumn(c change.Column, k topology.MaskKind) change.Column {
	switch k {
	case topology.MaskNull:
		c.Nullable = true
		return c
	case topology.MaskRedact, topology.MaskHash:
		n := 3
		if k == topology.MaskHash {
			n = 64
		}
		return change.Column{Name: c.Name, Type: change.TypeVarchar, Nullable: c.Nullable,
			Charset: "utf8mb4", ColumnType: "varchar(" + strconv.Itoa(n) + ")", Meta: uint16(n * 4)}
	}
	return c
}
