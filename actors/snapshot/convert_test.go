package snapshot

import (
	"math"
	"reflect"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/valuebox"
)

func TestConvert_ValueTypes(t *testing.T) {
	u := func(v uint64) mysql.FieldValue { return mysql.NewFieldValue(mysql.FieldValueTypeUnsigned, v, nil) }
	s := func(v int64) mysql.FieldValue { return mysql.NewFieldValue(mysql.FieldValueTypeSigned, uint64(v), nil) }
	f := func(v float64) mysql.FieldValue {
		return mysql.NewFieldValue(mysql.FieldValueTypeFloat, math.Float64bits(v), nil)
	}
	str := func(v string) mysql.FieldValue { return mysql.NewFieldValue(mysql.FieldValueTypeString, 0, []byte(v)) }
	null := mysql.NewFieldValue(mysql.FieldValueTypeNull, 0, nil)
	for _, tc := range []struct {
		name string
		col  change.Column
		in   mysql.FieldValue
		want any
	}{
		{"tinyint", change.Column{Type: change.TypeTiny}, s(-128), int8(-128)},
		{"tinyint unsigned", change.Column{Type: change.TypeTiny, Unsigned: true}, u(255), uint8(255)},
		{"smallint", change.Column{Type: change.TypeShort}, s(-32768), int16(-32768)},
		{"mediumint", change.Column{Type: change.TypeInt24}, s(-8388608), int32(-8388608)},
		{"mediumint unsigned", change.Column{Type: change.TypeInt24, Unsigned: true}, u(16777215), uint32(16777215)},
		{"int", change.Column{Type: change.TypeLong}, s(-2147483648), int32(-2147483648)},
		{"int unsigned", change.Column{Type: change.TypeLong, Unsigned: true}, u(4294967295), uint32(4294967295)},
		{"bigint", change.Column{Type: change.TypeLongLong}, s(math.MinInt64), int64(math.MinInt64)},
		{"bigint unsigned", change.Column{Type: change.TypeLongLong, Unsigned: true}, u(math.MaxUint64), uint64(math.MaxUint64)},
		{"int as text", change.Column{Type: change.TypeLong}, str("-7"), int32(-7)},
		{"year", change.Column{Type: change.TypeYear}, u(2155), int(2155)},
		{"float", change.Column{Type: change.TypeFloat}, f(float64(float32(0.1))), float32(0.1)},
		{"double", change.Column{Type: change.TypeDouble}, f(1e-300), 1e-300},
		{"bit1", change.Column{Type: change.TypeBit}, str("\x01"), int64(1)},
		{"bit64", change.Column{Type: change.TypeBit}, str("\xff\xff\xff\xff\xff\xff\xff\xff"), int64(-1)},
		{"decimal", change.Column{Type: change.TypeNewDecimal}, str("-12.50"), "-12.50"},
		{"datetime", change.Column{Type: change.TypeDateTime2}, str("2024-02-29 12:34:56.000789"), "2024-02-29 12:34:56.000789"},
		{"enum", change.Column{Type: change.TypeEnum}, str("large"), "large"},
		{"varbinary", change.Column{Type: change.TypeVarchar, Charset: "binary"}, str("\x00\x01"), "\x00\x01"},
		{"text", change.Column{Type: change.TypeBlob, Charset: "utf8mb4"}, str("long text"), []byte("long text")},
		{"geometry", change.Column{Type: change.TypeGeometry}, str("\x00\x00"), []byte{0, 0}},
		{"null", change.Column{Type: change.TypeLong}, null, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, a := range []*valuebox.Box{nil, {}} {
				got, size := convert(convOf(&tc.col), &tc.in, a)
				if !reflect.DeepEqual(got, tc.want) || reflect.TypeOf(got) != reflect.TypeOf(tc.want) {
					t.Errorf("convert (box %v) = %#v (%T), want %#v (%T)", a != nil, got, got, tc.want, tc.want)
				}
				if size < valueOverhead {
					t.Errorf("size %d below the per-value overhead", size)
				}
			}
		})
	}
}

func TestConvert_CopiesBytes(t *testing.T) {
	buf := []byte("abc")
	fv := mysql.NewFieldValue(mysql.FieldValueTypeString, 0, buf)
	got, _ := convert(convBytes, &fv, &valuebox.Box{})
	buf[0] = 'X'
	if string(got.([]byte)) != "abc" {
		t.Fatalf("value aliases the client's buffer: %q", got)
	}
}
