package charset

import (
	"strings"
	"testing"
)

// The byte strings are what MariaDB stores for the text (SELECT HEX(CONVERT(x USING cs))).
func TestAppendUTF8(t *testing.T) {
	for _, tc := range []struct {
		cs, in, want string
	}{
		{"gbk", "\xc4\xe3\xba\xc3\xca\xc0\xbd\xe7", "你好世界"},
		{"gb2312", "\xd6\xd0\xce\xc4", "中文"},
		{"big5", "\xa4\xa4\xa4\xe5", "中文"},
		{"sjis", "\x93\xfa\x96\x7b\x8c\xea", "日本語"},
		{"cp932", "\x87\x40", "①"},
		{"ujis", "\xc6\xfc\xcb\xdc\xb8\xec", "日本語"},
		{"euckr", "\xc7\xd1\xb1\xb9\xbe\xee", "한국어"},
		{"cp1251", "\xcf\xf0\xe8\xe2\xe5\xf2", "Привет"},
		{"koi8r", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет"},
		{"latin2", "\xb1\xe6", "ąć"},
		{"greek", "\xe1\xe2\xe3", "αβγ"},
		{"ucs2", "\x00a\x4e\x2d\xfe\xff", "a中\ufeff"},
		{"utf16", "\xd8\x3d\xde\x00", "😀"},
		{"utf16le", "a\x00\x2d\x4e", "a中"},
		{"utf32", "\x00\x01\xf6\x00\x00\x00\x00a", "😀a"},
		{"gbk", "a\xffb", "a\ufffdb"}, // an invalid byte
		{"gbk", "\xc4", "\ufffd"},     // a truncated character
	} {
		d := Lookup(tc.cs)
		if d == nil {
			t.Fatalf("Lookup(%s) = nil", tc.cs)
		}
		if got := string(AppendUTF8(d, []byte("x"), tc.in)); got != "x"+tc.want {
			t.Errorf("%s: %q → %q, want %q", tc.cs, tc.in, got, "x"+tc.want)
		}
		if got := string(AppendUTF8(d, nil, []byte(tc.in))); got != tc.want {
			t.Errorf("%s ([]byte): %q → %q, want %q", tc.cs, tc.in, got, tc.want)
		}
	}
}

// A value longer than the input window, with a character across each of
// its boundaries.
func TestAppendUTF8_LongValue(t *testing.T) {
	d := Lookup("gbk")
	in := "a" + strings.Repeat("\xc4\xe3", 1000)
	if got, want := string(AppendUTF8(d, nil, in)), "a"+strings.Repeat("你", 1000); got != want {
		t.Errorf("long GBK value decoded to %d bytes, want %d", len(got), len(want))
	}
}

func TestAppendUTF8_DoesNotAllocate(t *testing.T) {
	for _, cs := range []string{"gbk", "cp1251"} {
		d := Lookup(cs)
		dst := make([]byte, 0, 1024)
		in := []byte("\xc4\xe3\xba\xc3")
		AppendUTF8(d, dst, in) // fill the pool
		if n := testing.AllocsPerRun(100, func() { AppendUTF8(d, dst[:0], in) }); n != 0 {
			t.Errorf("%s: %v allocations per value", cs, n)
		}
	}
}

func TestLookupAndNative(t *testing.T) {
	for _, cs := range []string{"dec8", "hp8", "swe7", "armscii8", "keybcs2", "macce", "geostd8", "nonsense"} {
		if Lookup(cs) != nil || Native(cs) {
			t.Errorf("%s: decodable?", cs)
		}
	}
	for _, cs := range []string{"utf8mb4", "utf8mb3", "ascii", "latin1", "binary"} {
		if !Native(cs) || Lookup(cs) != nil {
			t.Errorf("%s: not native", cs)
		}
	}
	if Lookup("gbk") != Lookup("gbk") {
		t.Error("Lookup builds a decoder per call")
	}
}
