package snapshot

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sluicecdc/sluice/change"
)

func TestEncodeKey_RoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		vals [][]byte
	}{
		{"int", [][]byte{[]byte("-2147483648")}},
		{"bigint unsigned", [][]byte{[]byte("18446744073709551615")}},
		{"varchar", [][]byte{[]byte("héllo wörld")}},
		{"varbinary with zeros", [][]byte{{0, 0xff, 0, 1}}},
		{"empty string", [][]byte{{}}},
		{"composite", [][]byte{[]byte("42"), []byte("abc"), {0x00}}},
		{"long value", [][]byte{bytes.Repeat([]byte{'x'}, 70000)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeKey(EncodeKey(tc.vals))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.vals) {
				t.Fatalf("got %d values, want %d", len(got), len(tc.vals))
			}
			for i := range got {
				if !bytes.Equal(got[i], tc.vals[i]) {
					t.Errorf("value %d = %q, want %q", i, got[i], tc.vals[i])
				}
			}
		})
	}
}

func TestDecodeKey_RejectsGarbage(t *testing.T) {
	good := EncodeKey([][]byte{[]byte("1"), []byte("abc")})
	for _, b := range [][]byte{nil, {}, {2, 1, 1, '1'}, good[:len(good)-1], append(append([]byte{}, good...), 0), {1, 5}} {
		if _, err := DecodeKey(b); !errors.Is(err, errBadKey) {
			t.Errorf("DecodeKey(%q) err = %v, want errBadKey", b, err)
		}
	}
}

func keyTable() *change.Table {
	return &change.Table{
		Schema: "db", Name: "t",
		Columns: []change.Column{
			{Name: "a", Type: change.TypeLong},
			{Name: "b", Type: change.TypeVarchar, Charset: "utf8mb4"},
			{Name: "c", Type: change.TypeVarchar, Charset: "binary"},
			{Name: "d", Type: change.TypeDateTime2},
			{Name: "e", Type: change.TypeEnum, Charset: "utf8mb4"},
			{Name: "f", Type: change.TypeFloat},
		},
	}
}

func TestAppendBound_CompositeKey(t *testing.T) {
	tbl := keyTable()
	for _, tc := range []struct {
		name  string
		key   []int
		vals  [][]byte
		lower bool
		want  string
	}{
		{"single lower", []int{0}, [][]byte{[]byte("-5")}, true, "(`a` >= -5)"},
		{"single upper", []int{0}, [][]byte{[]byte("10")}, false, "(`a` < 10)"},
		{"text", []int{1}, [][]byte{[]byte("x'y")}, true, "(`b` >= _utf8mb4 X'782779')"},
		{"empty text", []int{1}, [][]byte{{}}, false, "(`b` < _utf8mb4 '')"},
		{"binary", []int{2}, [][]byte{{0, 0xff}}, true, "(`c` >= X'00ff')"},
		{"temporal", []int{3}, [][]byte{[]byte("2024-01-02 03:04:05.5")}, true, "(`d` >= '2024-01-02 03:04:05.5')"},
		{"composite lower", []int{0, 1, 2}, [][]byte{[]byte("1"), []byte("b"), {7}}, true,
			"(`a` > 1 OR (`a` = 1 AND (`b` > _utf8mb4 X'62' OR (`b` = _utf8mb4 X'62' AND (`c` >= X'07')))))"},
		{"composite upper", []int{0, 1}, [][]byte{[]byte("1"), []byte("b")}, false,
			"(`a` < 1 OR (`a` = 1 AND (`b` < _utf8mb4 X'62')))"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := appendBound(nil, tbl, tc.key, tc.vals, tc.lower)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestAppendBound_RejectsInjection(t *testing.T) {
	tbl := keyTable()
	for _, tc := range []struct {
		key []int
		val string
	}{
		{[]int{0}, "1 OR 1=1"},
		{[]int{0}, ""},
		{[]int{3}, "2024' OR '1"},
		{[]int{4}, "a"}, // ENUM cannot bound a chunk
	} {
		if _, err := appendBound(nil, tbl, tc.key, [][]byte{[]byte(tc.val)}, true); err == nil {
			t.Errorf("appendBound(%v, %q) succeeded, want an error", tc.key, tc.val)
		}
	}
	if _, err := appendBound(nil, tbl, []int{0, 1}, [][]byte{[]byte("1")}, true); !errors.Is(err, errBadKey) {
		t.Errorf("arity mismatch err = %v, want errBadKey", err)
	}
}

func TestChunkKey_Choice(t *testing.T) {
	cols := []change.Column{
		{Name: "id", Type: change.TypeLong},
		{Name: "u_null", Type: change.TypeLong, Nullable: true},
		{Name: "u", Type: change.TypeVarchar, Charset: "utf8mb4"},
		{Name: "f", Type: change.TypeFloat},
		{Name: "txt", Type: change.TypeBlob, Charset: "utf8mb4"},
	}
	for _, tc := range []struct {
		name string
		pk   []int
		uks  [][]int
		want []int
	}{
		{"primary", []int{0}, [][]int{{2}}, []int{0}},
		{"unique skipping nullable", nil, [][]int{{1}, {2}}, []int{2}},
		{"only nullable unique", nil, [][]int{{1}}, nil},
		{"no key", nil, nil, nil},
		{"float primary", []int{3}, nil, nil},
		{"text primary", []int{4}, nil, nil},
		{"composite", []int{0, 2}, nil, []int{0, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl := &change.Table{Columns: cols, PrimaryKey: tc.pk}
			for _, k := range tc.uks {
				tbl.UniqueKeys = append(tbl.UniqueKeys, change.Key{Name: "k", Columns: k})
			}
			got := ChunkKey(tbl)
			if len(got) != len(tc.want) {
				t.Fatalf("ChunkKey = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("ChunkKey = %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestChunkQuery_Bounds(t *testing.T) {
	tbl := keyTable()
	tbl.PrimaryKey = []int{0}
	lo, hi := EncodeKey([][]byte{[]byte("10")}), EncodeKey([][]byte{[]byte("20")})
	cols := "SELECT `a`, `b`, `c`, `d`, `e`, CAST(`f` AS DOUBLE) FROM `db`.`t`"
	for _, tc := range []struct {
		name string
		ch   Chunk
		want string
	}{
		{"whole", Chunk{}, cols + " ORDER BY `a`"},
		{"first", Chunk{High: lo}, cols + " WHERE (`a` < 10) ORDER BY `a`"},
		{"middle", Chunk{Low: lo, High: hi}, cols + " WHERE (`a` >= 10) AND (`a` < 20) ORDER BY `a`"},
		{"last", Chunk{Low: hi}, cols + " WHERE (`a` >= 20) ORDER BY `a`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := chunkQuery(tbl, tc.ch)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	tbl.PrimaryKey = nil
	if _, err := chunkQuery(tbl, Chunk{Low: lo}); err == nil {
		t.Error("bounded chunk of a keyless table accepted")
	}
	got, err := chunkQuery(tbl, Chunk{})
	if err != nil || got != cols {
		t.Errorf("keyless whole chunk = %q, %v", got, err)
	}
}
