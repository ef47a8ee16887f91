package binlogreader

import (
	"encoding/hex"
	"strings"
	"testing"
)

// The texts are MariaDB 10.11's (SELECT CAST(x AS INET6), HEX(x) on the
// test bed).
func TestInetAndUUIDText(t *testing.T) {
	bin := func(h string) string {
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimRight(string(b), "\x00") // as go-mysql hands BINARY(n) over
	}
	for _, tc := range []struct{ hex, want string }{
		{"00000000000000000000000000000001", "::1"},
		{"00000000000000000000000000000000", "::"},
		{"20010DB8000000000000FF0000428329", "2001:db8::ff00:42:8329"},
		{"00000000000000000000FFFF01020304", "::ffff:1.2.3.4"},
		{"00000000000000000000FFFF00000000", "::ffff:0.0.0.0"},
		{"00000000000000000000000001020304", "::1.2.3.4"},
		{"FE800000000000000001000200030004", "fe80::1:2:3:4"},
		{"00010000000200030004000500060007", "1::2:3:4:5:6:7"},
		{"00010000000000020000000000000003", "1:0:0:2::3"},
		{"00010000000000020003000000000004", "1::2:3:0:0:4"},
		{"00000000000000000001000000000000", "::1:0:0:0"},
		{"00010000000000000000000000000000", "1::"},
		{"ABCD00EF000000000000000000000001", "abcd:ef::1"},
	} {
		if got := inet6Text(bin(tc.hex)); got != tc.want {
			t.Errorf("inet6Text(%s) = %s, want %s", tc.hex, got, tc.want)
		}
	}
	for _, tc := range []struct{ hex, want string }{
		{"0A000001", "10.0.0.1"}, {"FFFFFFFF", "255.255.255.255"}, {"00000000", "0.0.0.0"}, {"7F000001", "127.0.0.1"},
	} {
		if got := inet4Text(bin(tc.hex)); got != tc.want {
			t.Errorf("inet4Text(%s) = %s, want %s", tc.hex, got, tc.want)
		}
	}
	for _, tc := range []struct{ hex, want string }{
		{"123E4567E89B12D3A456426655440000", "123e4567-e89b-12d3-a456-426655440000"},
		{"6CCD780CBABA102695645B8C656024DB", "6ccd780c-baba-1026-9564-5b8c656024db"},
		{"00000000000000000000000000000000", "00000000-0000-0000-0000-000000000000"},
	} {
		if got := uuidText(bin(tc.hex)); got != tc.want {
			t.Errorf("uuidText(%s) = %s, want %s", tc.hex, got, tc.want)
		}
	}
}
