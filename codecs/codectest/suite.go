package codectest

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/internal/errkind"
)

// Suite describes a codec to the conformance tests.
type Suite struct {
	// New returns a fresh encoder with pinned time (Options.Now = Now).
	New func(t *testing.T) codec.Encoder
	// Keyed is true when the format writes a Kafka key (the row's key
	// columns); false when every key must be nil.
	Keyed bool
	// Row decodes one image of a record with an independent decoder (not
	// the encoder's code): image is "before" or "after"; it returns column
	// name → value as text, with SQL NULL as nil, or nil when the record
	// has no such image.
	Row func(t *testing.T, rec *codec.Record, image string) map[string]*string
}

// Run runs the conformance suite against s.
func Run(t *testing.T, s Suite) {
	t.Run("EveryOpEncodes", func(t *testing.T) { testEveryOp(t, s) })
	t.Run("PositionHeaders", func(t *testing.T) { testHeaders(t, s) })
	t.Run("NullVsEmptyString", func(t *testing.T) { testNulls(t, s) })
	t.Run("Images", func(t *testing.T) { testImages(t, s) })
	t.Run("KeyStability", func(t *testing.T) { testKeys(t, s) })
	t.Run("Deterministic", func(t *testing.T) { testDeterministic(t, s) })
	t.Run("RecycledRecord", func(t *testing.T) { testRecycled(t, s) })
	t.Run("DoesNotAliasInput", func(t *testing.T) { testNoAlias(t, s) })
	t.Run("BadValueIsTerminal", func(t *testing.T) { testBadValue(t, s) })
}

// Encode encodes c into a fresh record, failing the test on error.
func Encode(t *testing.T, enc codec.Encoder, c *change.Change) *codec.Record {
	t.Helper()
	rec := &codec.Record{}
	if err := enc.Encode(c, rec); err != nil {
		t.Fatalf("Encode(%s): %v", c.Op, err)
	}
	return rec
}

func testEveryOp(t *testing.T, s Suite) {
	enc := s.New(t)
	for _, op := range Ops {
		rec := Encode(t, enc, Changes()[op])
		if len(rec.Value) == 0 {
			t.Errorf("%s: empty value", op)
		}
	}
}

func header(rec *codec.Record, key string) (string, bool) {
	for _, h := range rec.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

func testHeaders(t *testing.T, s Suite) {
	enc := s.New(t)
	c := Changes()["insert"]
	rec := Encode(t, enc, c)
	for key, want := range map[string]string{
		codec.HeaderPos: "mysql-bin.000003:4567", codec.HeaderGTID: "0-1-42",
		codec.HeaderRow: "2", codec.HeaderSeq: "1001",
	} {
		if got, ok := header(rec, key); !ok || got != want {
			t.Errorf("header %s = %q (present %v), want %q", key, got, ok, want)
		}
	}
	// Appending to the value must not overwrite header bytes.
	before := string(rec.Headers[0].Value)
	_ = append(rec.Value, bytes.Repeat([]byte{'X'}, 64)...)
	if string(rec.Headers[0].Value) != before {
		t.Errorf("appending to Value overwrote a header: %q", rec.Headers[0].Value)
	}
	// No GTID, no gtid header.
	snap := Changes()["snapshot"]
	rec = Encode(t, enc, snap)
	if _, ok := header(rec, codec.HeaderGTID); ok {
		t.Error("sluice.gtid written for a change without a GTID")
	}
	if got, _ := header(rec, codec.HeaderPos); got != "mysql-bin.000003:4" {
		t.Errorf("snapshot sluice.pos = %q", got)
	}
}

func str(p *string) string {
	if p == nil {
		return "<NULL>"
	}
	return strconv.Quote(*p)
}

func testNulls(t *testing.T, s Suite) {
	enc := s.New(t)
	rec := Encode(t, enc, Changes()["insert"])
	row := s.Row(t, rec, "after")
	if row == nil {
		t.Fatal("insert has no after image")
	}
	if v, ok := row["c_null"]; !ok || v != nil {
		t.Errorf("c_null = %s (present %v), want NULL", str(v), ok)
	}
	if v := row["c_empty"]; v == nil || *v != "" {
		t.Errorf("c_empty = %s, want empty string", str(v))
	}
	if v := row["c_varchar"]; v == nil || *v != "héllo \"wörld\"\n😀" {
		t.Errorf("c_varchar = %s", str(v))
	}
	if len(row) != len(TypesTable().Columns) {
		t.Errorf("after image has %d columns, want %d (NULLs must be written, not dropped)", len(row), len(TypesTable().Columns))
	}
}

func testImages(t *testing.T, s Suite) {
	enc := s.New(t)
	ch := Changes()
	if row := s.Row(t, Encode(t, enc, ch["delete"]), "before"); row == nil || row["id"] == nil || *row["id"] != "18446744073709551615" {
		t.Errorf("delete before image id = %v", row)
	}
	upd := Encode(t, enc, ch["update"])
	before, after := s.Row(t, upd, "before"), s.Row(t, upd, "after")
	if before == nil || after == nil {
		t.Fatalf("update images: before %v after %v", before != nil, after != nil)
	}
	if after["c_int"] == nil || *after["c_int"] != "42" {
		t.Errorf("update after c_int = %s, want 42", str(after["c_int"]))
	}
	if before["c_int"] == nil || *before["c_int"] != "-2147483648" {
		t.Errorf("update before c_int = %s", str(before["c_int"]))
	}
	if after["c_null"] == nil || *after["c_null"] != "7" {
		t.Errorf("update after c_null = %s, want 7", str(after["c_null"]))
	}
	if after["c_text"] != nil {
		t.Errorf("update after c_text = %s, want NULL", str(after["c_text"]))
	}
	if row := s.Row(t, Encode(t, enc, ch["snapshot"]), "after"); row == nil || row["c_int"] == nil || *row["c_int"] != "-2147483648" {
		t.Errorf("snapshot after image = %v", row)
	}
}

func testKeys(t *testing.T, s Suite) {
	enc := s.New(t)
	ch := Changes()
	var keys [][]byte
	for _, op := range []string{"insert", "update", "delete", "snapshot"} {
		keys = append(keys, Encode(t, enc, ch[op]).Key)
	}
	for i, k := range keys {
		if !s.Keyed {
			if k != nil {
				t.Errorf("key %d = %q, want nil", i, k)
			}
			continue
		}
		if len(k) == 0 || !bytes.Equal(k, keys[0]) {
			t.Errorf("key %d = %q, want the same non-empty key as insert's %q", i, k, keys[0])
		}
	}
	if s.Keyed {
		other := Changes()["insert"]
		other.After[0] = uint64(7)
		if k := Encode(t, enc, other).Key; bytes.Equal(k, keys[0]) {
			t.Errorf("rows with different primary keys share key %q", k)
		}
	}
}

func testDeterministic(t *testing.T, s Suite) {
	for _, op := range Ops {
		a := Encode(t, s.New(t), Changes()[op])
		b := Encode(t, s.New(t), Changes()[op])
		if !bytes.Equal(a.Value, b.Value) || !bytes.Equal(a.Key, b.Key) {
			t.Errorf("%s: two encodings differ", op)
		}
	}
}

func testRecycled(t *testing.T, s Suite) {
	enc := s.New(t)
	fresh := Encode(t, s.New(t), Changes()["update"])
	rec := &codec.Record{Key: make([]byte, 0, 3), Value: make([]byte, 0, 7)}
	for range 3 {
		rec.Reset()
		if err := enc.Encode(Changes()["update"], rec); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec.Value, fresh.Value) || !bytes.Equal(rec.Key, fresh.Key) || len(rec.Headers) != len(fresh.Headers) {
			t.Fatal("encoding into a recycled record differs from a fresh one")
		}
	}
}

func testNoAlias(t *testing.T, s Suite) {
	enc := s.New(t)
	c := Changes()["insert"]
	rec := Encode(t, enc, c)
	want := append([]byte(nil), rec.Value...)
	wantKey := append([]byte(nil), rec.Key...)
	for _, v := range c.After {
		if b, ok := v.([]byte); ok {
			for i := range b {
				b[i] = '#'
			}
		}
	}
	if !bytes.Equal(rec.Value, want) || !bytes.Equal(rec.Key, wantKey) {
		t.Error("record changed when the change's buffers were overwritten: it aliases them")
	}
}

func testBadValue(t *testing.T, s Suite) {
	enc := s.New(t)
	c := Changes()["insert"]
	c.After[6] = struct{}{} // not a value type the decoder produces
	err := enc.Encode(c, &codec.Record{})
	if err == nil || !errkind.IsTerminal(err) {
		t.Errorf("bad value: err = %v, want a terminal error", err)
	}
	c = Changes()["insert"]
	c.Op = change.Op(99)
	if err := enc.Encode(c, &codec.Record{}); err == nil || !errkind.IsTerminal(err) {
		t.Errorf("unknown op: err = %v, want a terminal error", err)
	}
}
