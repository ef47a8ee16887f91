package render

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

func TestJavaDouble_KnownJavaOutputs(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{1e10, "1.0E10"},
		{1e-5, "1.0E-5"},
		{100, "100.0"},
		{0.1, "0.1"},
		{1, "1.0"},
		{-1.5, "-1.5"},
		{1e7, "1.0E7"},
		{9999999, "9999999.0"},
		{1234567, "1234567.0"},
		{0.001, "0.001"},
		{0.002, "0.002"},
		{0.0001, "1.0E-4"},
		{123456789, "1.23456789E8"},
		{0.30000000000000004, "0.30000000000000004"},
		{3.14, "3.14"},
		{math.MaxFloat64, "1.7976931348623157E308"},
		{math.SmallestNonzeroFloat64, "4.9E-324"},
		{-1.25e-7, "-1.25E-7"},
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
	} {
		if got := string(JavaDouble(nil, tc.in)); got != tc.want {
			t.Errorf("JavaDouble(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestJavaFloat_KnownJavaOutputs(t *testing.T) {
	for _, tc := range []struct {
		in   float32
		want string
	}{
		{0.1, "0.1"},
		{1.1, "1.1"},
		{3.4, "3.4"},
		{1e10, "1.0E10"},
		{1.0 / 3, "0.33333334"},
		{16777216, "1.6777216E7"},
		{math.MaxFloat32, "3.4028235E38"},
		{math.SmallestNonzeroFloat32, "1.4E-45"},
		{-2.5, "-2.5"},
	} {
		if got := string(JavaFloat(nil, tc.in)); got != tc.want {
			t.Errorf("JavaFloat(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestJSONString_RoundTripsThroughEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quo\"te back\\slash", "nl\nrt\r\ttab\b\f", "\x00\x01\x1f\x7f",
		"héllo wörld ✓ 😀", "line\u2028sep\u2029", "</script>"} {
		out := JSONString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("JSONString(%q) = %s: not JSON: %v", s, out, err)
		}
		if back != s {
			t.Errorf("JSONString(%q) read back as %q", s, back)
		}
		if outB := JSONString(nil, []byte(s)); string(outB) != string(out) {
			t.Errorf("[]byte and string renderings differ: %s vs %s", outB, out)
		}
	}
}

func TestJSONString_InvalidUTF8BecomesReplacement(t *testing.T) {
	for in, want := range map[string]string{
		"a\xffb":         `"a` + "\ufffd" + `b"`,
		"\xed\xa0\x80":   `"` + "\ufffd\ufffd\ufffd" + `"`, // surrogate
		"\xc0\xaf":       `"` + "\ufffd\ufffd" + `"`,       // overlong
		"trunc\xe2\x82":  `"trunc` + "\ufffd\ufffd" + `"`,
		"ok\xe2\x82\xac": `"ok€"`,
	} {
		if got := string(JSONString(nil, in)); got != want {
			t.Errorf("JSONString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestJSONText_Latin1AndBinary(t *testing.T) {
	in := []byte{'a', 0xe9, 0x80, 0x00, '"'}
	if got, want := string(JSONText(nil, in, TextLatin1)), "\"aé€\\u0000\\\"\""; got != want {
		t.Errorf("latin1 = %s, want %s", got, want)
	}
	if got, want := string(JSONText(nil, in, TextBinary)), "\"aé\u0080\\u0000\\\"\""; got != want {
		t.Errorf("binary = %s, want %s", got, want)
	}
	if KindOf("utf8mb4") != TextUTF8 || KindOf("latin1") != TextLatin1 || KindOf("binary") != TextBinary {
		t.Error("KindOf wrong")
	}
}

func TestParseDateTime_Shapes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want DateTime
		ok   bool
	}{
		{"2024-02-29", DateTime{Year: 2024, Month: 2, Day: 29}, true},
		{"2024-02-29 23:59:58", DateTime{2024, 2, 29, 23, 59, 58, 0, 0}, true},
		{"2024-02-29 23:59:58.5", DateTime{2024, 2, 29, 23, 59, 58, 500000, 1}, true},
		{"2024-02-29 23:59:58.000123", DateTime{2024, 2, 29, 23, 59, 58, 123, 6}, true},
		{"0000-00-00 00:00:00", DateTime{}, true},
		{"2024-02-29 23:59", DateTime{}, false},
		{"2024/02/29", DateTime{}, false},
		{"2024-02-29 23:59:58.1234567", DateTime{}, false},
	} {
		got, ok := ParseDateTime(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("ParseDateTime(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseTime_NegativeLongFractional(t *testing.T) {
	for _, tc := range []struct {
		in     string
		micros int64
		ok     bool
	}{
		{"00:00:00", 0, true},
		{"12:34:56", 45296_000000, true},
		{"-838:59:59", -(838*3600 + 59*60 + 59) * 1_000_000, true},
		{"838:59:59.000000", (838*3600 + 59*60 + 59) * 1_000_000, true},
		{"-00:00:01.5", -1_500_000, true},
		{"100:00:00.25", 360000_250000, true},
		{"1:2:3", 0, false},
		{"", 0, false},
	} {
		got, ok := ParseTime(tc.in)
		if ok != tc.ok || (ok && got.Micros() != tc.micros) {
			t.Errorf("ParseTime(%q) = %+v (%d µs), %v; want %d, %v", tc.in, got, got.Micros(), ok, tc.micros, tc.ok)
		}
	}
}

func TestDaysFromCivil_KnownDates(t *testing.T) {
	for _, tc := range []struct {
		y, m, d int
		want    int64
	}{
		{1970, 1, 1, 0}, {2000, 3, 1, 11017}, {1969, 12, 31, -1}, {1000, 1, 1, -354285}, {9999, 12, 31, 2932896},
	} {
		if got := DaysFromCivil(tc.y, tc.m, tc.d); got != tc.want {
			t.Errorf("DaysFromCivil(%d,%d,%d) = %d, want %d", tc.y, tc.m, tc.d, got, tc.want)
		}
	}
}

func TestAppendUTF8_Kinds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		k    TextKind
		want string
	}{
		{"héllo", TextUTF8, "héllo"},
		{"a\xffb\xe2\x82", TextUTF8, "a\uFFFDb\uFFFD\uFFFD"},
		{"caf\xe9 \x80", TextLatin1, "café €"},
		{"\x00\x80\xff", TextBinary, "\x00\u0080ÿ"},
		{"\xc4\xe3\xba\xc3", KindOf("gbk"), "你好"},
		{"\x00a\x4e\x2d", KindOf("ucs2"), "a中"},
	} {
		if got := string(AppendUTF8(nil, tc.in, tc.k)); got != tc.want {
			t.Errorf("AppendUTF8(%q, %+v) = %q, want %q", tc.in, tc.k, got, tc.want)
		}
	}
}

// Regression: GBK (and every charset but utf8*, ascii and latin1) was
// written as its bytes read as UTF-8: "����".
func TestJSONText_OtherCharsets(t *testing.T) {
	for _, tc := range []struct{ cs, in, want string }{
		{"gbk", "\xc4\xe3\xba\xc3\"\n", `"你好\"\n"`},
		{"big5", "\xa4\xa4\xa4\xe5", `"中文"`},
		{"sjis", "\x93\xfa\x96\x7b\x8c\xea", `"日本語"`},
		{"cp1251", "\xcf\xf0\xe8\xe2\xe5\xf2", `"Привет"`},
		{"utf16", "\x20\x28", `"\u2028"`},
	} {
		if got := string(JSONText([]byte("x"), tc.in, KindOf(tc.cs))); got != "x"+tc.want {
			t.Errorf("%s: JSONText(%q) = %s, want %s", tc.cs, tc.in, got, tc.want)
		}
	}
	k, in, dst := KindOf("gbk"), []byte("\xc4\xe3\xba\xc3"), make([]byte, 0, 64)
	JSONText(dst, in, k)
	if n := testing.AllocsPerRun(100, func() { JSONText(dst[:0], in, k) }); n != 0 {
		t.Errorf("JSONText of a GBK value allocates %v times", n)
	}
}

func TestAppendUnscaled_TwosComplement(t *testing.T) {
	for _, tc := range []struct {
		s     string
		scale int
		want  []byte
	}{
		{"0", 0, []byte{0}}, {"1.5", 1, []byte{15}}, {"-1", 0, []byte{0xff}}, {"128", 0, []byte{0, 0x80}},
		{"-128", 0, []byte{0x80}}, {"1234.50", 2, []byte{0x01, 0xe2, 0x3a}},
	} {
		got, ok := AppendUnscaled(nil, tc.s, tc.scale)
		if !ok || !bytes.Equal(got, tc.want) {
			t.Errorf("AppendUnscaled(%q, %d) = %x, %v; want %x", tc.s, tc.scale, got, ok, tc.want)
		}
	}
	if _, ok := AppendUnscaled(nil, "1.25", 1); ok {
		t.Error("more fraction digits than the scale accepted")
	}
	for u, want := range map[uint64][]byte{0: {0}, 127: {127}, 128: {0, 128}, 1<<64 - 1: {0, 255, 255, 255, 255, 255, 255, 255, 255}} {
		if got := AppendUnscaledUint(nil, u); !bytes.Equal(got, want) {
			t.Errorf("AppendUnscaledUint(%d) = %x, want %x", u, got, want)
		}
	}
}
