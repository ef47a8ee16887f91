package valuebox

import (
	"runtime"
	"strconv"
	"testing"
)

func TestBox_ValuesKeepTypeAndContent(t *testing.T) {
	var b Box
	text := []byte("2024-05-06 07:08:09.123456")
	blob := []byte{0, 1, 2}
	for _, c := range []struct {
		got, want any
	}{
		{b.Int8(-5), int8(-5)},
		{b.Uint8(250), uint8(250)},
		{b.Int16(-30000), int16(-30000)},
		{b.Uint16(65000), uint16(65000)},
		{b.Int32(-2147483648), int32(-2147483648)},
		{b.Uint32(4294967295), uint32(4294967295)},
		{b.Int64(-9223372036854775808), int64(-9223372036854775808)},
		{b.Uint64(18446744073709551615), uint64(18446744073709551615)},
		{b.Int(2155), 2155},
		{b.Float32(1.5), float32(1.5)},
		{b.Float64(2.25), float64(2.25)},
		{b.String("héllo"), "héllo"},
		{b.String(""), ""},
		{b.Text(text), "2024-05-06 07:08:09.123456"},
		{b.Text(nil), ""},
	} {
		if c.got != c.want {
			t.Errorf("boxed %#v (%T), want %#v (%T)", c.got, c.got, c.want, c.want)
		}
	}
	// The text was copied: changing the scratch buffer changes nothing.
	v := b.Text(text)
	text[0] = 'X'
	if v != "2024-05-06 07:08:09.123456" {
		t.Errorf("text aliases the caller's buffer: %q", v)
	}
	if got, ok := b.CopyBytes(blob).([]byte); !ok || string(got) != "\x00\x01\x02" || &got[0] == &blob[0] || cap(got) != 3 {
		t.Errorf("copied bytes %#v (cap %d): want a capped copy", got, cap(got))
	}
	if got, ok := b.CopyBytes(nil).([]byte); !ok || got == nil || len(got) != 0 {
		t.Errorf("copied empty bytes %#v: want an empty, non-nil slice", got)
	}
	// Boxed values hash and compare as the values they hold.
	if m := map[any]int{b.String("héllo"): 1, b.Int64(-1 << 40): 2}; m["héllo"] != 1 || m[int64(-1<<40)] != 2 {
		t.Errorf("boxed values do not hash as their values: %v", m)
	}
	if got, ok := b.Bytes(blob).([]byte); !ok || string(got) != "\x00\x01\x02" || &got[0] != &blob[0] {
		t.Errorf("bytes %#v: want the caller's slice, not a copy", got)
	}
}

// TestBox_SurvivesCollections pins that the chunks stay alive through the
// interfaces alone, across chunk boundaries, and that strings keep the
// memory they point into alive.
func TestBox_SurvivesCollections(t *testing.T) {
	var b Box
	const n = 3 * textChunk / 8
	vals := make([]any, 0, 4*n)
	for i := range n {
		s := strconv.Itoa(i)
		vals = append(vals, b.Int64(int64(i)), b.Text([]byte("t"+s)), b.String(string([]byte("s"+s))), b.Bytes([]byte("b"+s)))
	}
	b = Box{} // drop the Box's own references to its chunks
	for range 3 {
		runtime.GC()
	}
	garbage := make([][]byte, 0, 1000)
	for range 1000 {
		garbage = append(garbage, make([]byte, 64))
	}
	_ = garbage
	for i := range n {
		s := strconv.Itoa(i)
		if vals[4*i] != int64(i) || vals[4*i+1] != "t"+s || vals[4*i+2] != "s"+s || string(vals[4*i+3].([]byte)) != "b"+s {
			t.Fatalf("value %d lost: %v %v %v %v", i, vals[4*i], vals[4*i+1], vals[4*i+2], vals[4*i+3])
		}
	}
}

func TestBox_AllocatesPerChunkNotPerValue(t *testing.T) {
	var b Box
	text := []byte("12345.67")
	allocs := testing.AllocsPerRun(10, func() {
		for i := range 1000 {
			_ = b.Int64(int64(i) << 20)
			_ = b.Float64(float64(i))
			_ = b.Text(text)
		}
	})
	// 1000 values of each kind: 2000 words (4 chunks), 1000 strings (4
	// chunks), 8000 bytes of text (under one chunk); one each when a chunk
	// is half used from the run before.
	if allocs > 12 {
		t.Errorf("%.0f allocations for 3000 values, want ≤ 12", allocs)
	}
}
