package verify

import (
	"encoding/base64"
	"strconv"
	"testing"

	"github.com/segmentio/kafka-go"
)

func TestDecimalText(t *testing.T) {
	for _, tc := range []struct {
		bytes []byte
		scale int
		want  string
	}{
		{[]byte{0x04, 0xD2}, 2, "12.34"},
		{[]byte{0xFB, 0x2E}, 2, "-12.34"},
		{[]byte{0x05}, 3, "0.005"},
		{[]byte{0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 0, "18446744073709551615"},
		{[]byte{}, 0, "0"},
	} {
		got, err := decimalText(base64.StdEncoding.EncodeToString(tc.bytes), tc.scale)
		if err != nil || got != tc.want {
			t.Errorf("decimalText(% x, %d) = %q, %v; want %q", tc.bytes, tc.scale, got, err, tc.want)
		}
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		us   int64
		fsp  int
		want string
	}{
		{45296_000_000, 0, "12:34:56"},
		{-3020399_000_000, 6, "-838:59:59.000000"},
		{360001_000_000, 0, "100:00:01"},
		{1_230_000, 2, "00:00:01.23"},
	} {
		if got := duration(tc.us, tc.fsp); got != tc.want {
			t.Errorf("duration(%d, %d) = %q, want %q", tc.us, tc.fsp, got, tc.want)
		}
	}
}

func TestCanalValue(t *testing.T) {
	enum := &Column{Name: "e", Kind: KindEnum, Elements: []string{"small", "large"}}
	set := &Column{Name: "s", Kind: KindSet, Elements: []string{"a", "b", "c"}}
	bin := &Column{Name: "b", Kind: KindBinary}
	for _, tc := range []struct {
		c         *Column
		v         string
		enumIndex bool
		want      string
	}{
		{enum, "2", true, "large"},
		{enum, "0", true, ""},
		{enum, "large", false, "large"},
		{set, "5", true, "a,c"},
		{set, "0", true, ""},
		{bin, "\u0000\u0001\u00ff", false, "0001FF"},
	} {
		got, err := canalValue(tc.c, tc.v, tc.enumIndex)
		if err != nil || got != tc.want {
			t.Errorf("canalValue(%s, %q, %v) = %q, %v; want %q", tc.c.Name, tc.v, tc.enumIndex, got, err, tc.want)
		}
	}
	if _, err := canalValue(bin, "€", false); err == nil {
		t.Error("a binary value with a character above U+00FF decoded")
	}
}

// canal builds a dts-flavour Canal JSON message of db.t.
func canal(p int, off int64, seq uint64, typ, data, old string) kafka.Message {
	v := `{"database":"db","table":"t","type":"` + typ + `","isDdl":false,"data":[` + data + `],"old":` + old + `}`
	return kafka.Message{Partition: p, Offset: off, Value: []byte(v),
		Headers: []kafka.Header{{Key: "sluice.seq", Value: []byte(strconv.FormatUint(seq, 10))}}}
}

// Canal JSON places an UPDATE that changes the key by its new key: the old
// key's snapshot row, in another partition, may be read after it and must
// not bring the old key back.
func TestReplay_KeyChangeAcrossPartitions(t *testing.T) {
	msgs := []kafka.Message{
		canal(1, 0, 100, "UPDATE", `{"id":"105","v":"x"}`, `[{"id":"5","v":"x"}]`),
		canal(0, 0, 7, "INIT", `{"id":"5","v":"x"}`, "null"),
		canal(0, 1, 8, "INIT", `{"id":"6","v":"y"}`, "null"),
	}
	st, err := Replay(msgs, map[string][]string{"db.t": {"id"}})
	if err != nil {
		t.Fatal(err)
	}
	rows := st.Tables["db.t"]
	if _, ok := rows["5"]; ok || len(rows) != 2 || rows["105"] == nil || rows["6"] == nil {
		t.Errorf("rows after the replay: %v; want 105 and 6", rows)
	}
}

// One change split in two records with one seq (a Debezium key change)
// is applied whole; the same record again is a re-send.
func TestReplay_SameSeqOtherKeyIsNotAResend(t *testing.T) {
	msgs := []kafka.Message{
		canal(0, 0, 10, "INSERT", `{"id":"1"}`, "null"),
		canal(0, 1, 11, "DELETE", `{"id":"1"}`, "null"),
		canal(0, 2, 11, "INSERT", `{"id":"2"}`, "null"),
		canal(0, 3, 11, "INSERT", `{"id":"2"}`, "null"),
	}
	st, err := Replay(msgs, map[string][]string{"db.t": {"id"}})
	if err != nil {
		t.Fatal(err)
	}
	if rows := st.Tables["db.t"]; len(rows) != 1 || rows["2"] == nil || st.Duplicates != 1 {
		t.Errorf("rows %v, %d duplicates; want only 2, and 1 duplicate", rows, st.Duplicates)
	}
}

func TestSameFloat(t *testing.T) {
	for _, tc := range []struct {
		server, topic string
		single, want  bool
	}{
		{"1.17549e-38", "1.17549435E-38", true, true},
		{"0.1", "0.1", true, true},
		{"10000000000", "1.0E10", false, true},
		{"1e15", "1.0E15", false, true},
		{"0.30000000000000004", "0.3", false, false},
		{"3.4", "3.5", true, false},
	} {
		if got := sameFloat(tc.server, tc.topic, tc.single); got != tc.want {
			t.Errorf("sameFloat(%q, %q, %v) = %v, want %v", tc.server, tc.topic, tc.single, got, tc.want)
		}
	}
}
