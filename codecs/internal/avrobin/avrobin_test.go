package avrobin

import (
	"bytes"
	"strings"
	"testing"
)

func TestAppendLong_ZigZag(t *testing.T) {
	for _, tc := range []struct {
		v    int64
		want []byte
	}{
		{0, []byte{0}}, {-1, []byte{1}}, {1, []byte{2}}, {-64, []byte{0x7f}}, {64, []byte{0x80, 0x01}},
	} {
		if got := AppendLong(nil, tc.v); !bytes.Equal(got, tc.want) {
			t.Errorf("AppendLong(%d) = %x, want %x", tc.v, got, tc.want)
		}
	}
}

func TestPrefixLength_MatchesAppendString(t *testing.T) {
	for _, s := range []string{"", "x", strings.Repeat("é", 40), strings.Repeat("a", 70000)} {
		b := append([]byte("head"), s...)
		got := PrefixLength(b, 4)
		want := AppendString([]byte("head"), s)
		if !bytes.Equal(got, want) {
			t.Errorf("len %d: PrefixLength differs from AppendString", len(s))
		}
	}
}
