package transform

import (
	"strconv"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/topology"
)

func TestCmpDec(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"0", "0", 0},
		{"-0.00", "0", 0},
		{"000", "0.0e5", 0},
		{"12.50", "12.5", 0},
		{"12.50", "1.25e1", 0},
		{"1250e-2", "12.5", 0},
		{"100", "1e2", 0},
		{"100", "1", 1},
		{"0.001", "0.01", -1},
		{"-1", "1", -1},
		{"-2", "-1", -1},
		{"-0.5", "0", -1},
		{"0", "-0.5", 1},
		{"18446744073709551615", "18446744073709551614", 1},
		{"9007199254740993", "9007199254740992", 1},
		{"99999999999999999999999.1", "99999999999999999999999.09", 1},
		{"+7", "7", 0},
		{"007", "7", 0},
		{".5", "0.5", 0},
		{"5.", "5", 0},
	} {
		a, ok := parseDec(tc.a)
		b, ok2 := parseDec(tc.b)
		if !ok || !ok2 {
			t.Fatalf("parseDec(%q)=%v parseDec(%q)=%v", tc.a, ok, tc.b, ok2)
		}
		if got := cmpDec(&a, &b); got != tc.want {
			t.Errorf("cmpDec(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := cmpDec(&b, &a); got != -tc.want {
			t.Errorf("cmpDec(%s, %s) = %d, want %d", tc.b, tc.a, got, -tc.want)
		}
	}
}

func TestParseDec_RejectsNonNumbers(t *testing.T) {
	for _, s := range []string{"", "-", ".", "abc", "1a", "1e", "1e+", " 1", "1 ", "1.2.3", "--1", "0x10", "1,5"} {
		if _, ok := parseDec(s); ok {
			t.Errorf("parseDec(%q) accepted", s)
		}
	}
}

func TestCompare_IntegersAgreeAcrossPaths(t *testing.T) {
	// The int64/uint64 fast path and the exact decimal path must agree.
	vals := []int64{-9223372036854775808, -129, -128, -1, 0, 1, 127, 255, 256, 65535, 1 << 53, 1<<53 + 1, 9223372036854775807}
	for _, a := range vals {
		for _, b := range vals {
			want := 0
			if a < b {
				want = -1
			} else if a > b {
				want = 1
			}
			l := compileLit(topology.Literal{IsNumber: true, Text: strconv.FormatInt(b, 10)})
			slow := l
			slow.isI, slow.isU = false, false
			for _, v := range []any{a, int32(a), int16(a), int8(a)} {
				if x, _ := change.Int64(v); x != a {
					continue // does not fit this width
				}
				for _, lt := range []*lit{&l, &slow} {
					if got, ok := compare(v, lt); !ok || got != want {
						t.Fatalf("compare(%T %d, %d) = %d, want %d", v, a, b, got, want)
					}
				}
			}
			if a >= 0 {
				for _, lt := range []*lit{&l, &slow} {
					if got, _ := compare(uint64(a), lt); got != want {
						t.Fatalf("compare(uint64 %d, %d) = %d, want %d", a, b, got, want)
					}
				}
			}
		}
	}
}
