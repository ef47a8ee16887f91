package binlogreader

import (
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/sourcedb"
)

func TestDDLMayTouch(t *testing.T) {
	cases := []struct {
		info string
		want bool
	}{
		{"use `d`; ALTER TABLE t ADD COLUMN x INT", true},
		{"use `d`; ALTER TABLE other ADD COLUMN x INT", false},
		{"use `e`; ALTER TABLE t ADD COLUMN x INT", false},
		{"use `e`; ALTER TABLE d.t ADD COLUMN x INT", true},
		{"use `d`; DROP DATABASE other", false},
		{"use `x`; DROP DATABASE IF EXISTS `d`", true},
		{"use `d`; RENAME TABLE a TO b", false},
		{"use `d`; RENAME TABLE a TO t", true}, // mentions the name: may touch
		{"use `d`; INSERT INTO t VALUES (1)", false},
		{"BEGIN", false},
		{"use `d`; CREATE INDEX i ON t (a)", true},
	}
	p := sourcedb.NewParser()
	for _, c := range cases {
		if got := ddlMayTouch(p, c.info, "d", "t"); got != c.want {
			t.Errorf("ddlMayTouch(%q) = %t, want %t", c.info, got, c.want)
		}
	}
}

// integerColumns are unsigned integers of every width and one signed INT.
func integerColumns() []change.Column {
	return []change.Column{
		{Name: "a", Type: change.TypeTiny, Unsigned: true},
		{Name: "b", Type: change.TypeShort, Unsigned: true},
		{Name: "c", Type: change.TypeInt24, Unsigned: true},
		{Name: "d", Type: change.TypeLong, Unsigned: true},
		{Name: "e", Type: change.TypeLongLong, Unsigned: true},
		{Name: "f", Type: change.TypeLong},
	}
}

func TestNormalize_UnsignedWithoutSignedness(t *testing.T) {
	tbl := &change.Table{Columns: integerColumns()}
	tm := &replication.TableMapEvent{} // NO_LOG: no signedness bitmap
	e := &tableEntry{table: tbl, fixes: fixesFor(tbl, tm)}
	row := []any{int8(-56), int16(-1), int32(-1), int32(-294967296), int64(-1), int32(-7)}
	e.normalize(row)
	want := []any{uint8(200), uint16(65535), uint32(16777215), uint32(4000000000), uint64(18446744073709551615), int32(-7)}
	for i := range want {
		if row[i] != want[i] {
			t.Errorf("column %s: %#v, want %#v", tbl.Columns[i].Name, row[i], want[i])
		}
	}
	// With a signedness bitmap go-mysql decodes unsigned itself: no fix.
	if f := fixesFor(tbl, &replication.TableMapEvent{SignednessBitmap: []byte{0xf8}}); len(f) != 0 {
		t.Errorf("fixes with signedness: %+v", f)
	}
}

func TestDisagreement(t *testing.T) {
	hist := &change.Table{Columns: []change.Column{
		{Name: "id", Type: change.TypeLong, Unsigned: true},
		{Name: "v", Type: change.TypeVarchar},
		{Name: "t", Type: change.TypeDateTime2},
	}}
	bin := func(names ...string) *change.Table {
		cols := []change.Column{{Type: change.TypeLong, Unsigned: true}, {Type: change.TypeVarString}, {Type: change.TypeDateTime}}
		for i := range cols {
			cols[i].Name = "col"
			if i < len(names) {
				cols[i].Name = names[i]
			}
		}
		return &change.Table{Columns: cols}
	}
	minimal := &replication.TableMapEvent{SignednessBitmap: []byte{0x80}}
	if d := disagreement(minimal, bin(), hist, false); d != "" {
		t.Errorf("equivalent types disagree: %s", d)
	}
	if d := disagreement(minimal, bin("id", "w", "t"), hist, true); !strings.Contains(d, "column 1 is w") {
		t.Errorf("names: %q", d)
	}
	short := &change.Table{Columns: bin().Columns[:2]}
	if d := disagreement(minimal, short, hist, false); !strings.Contains(d, "2 columns") {
		t.Errorf("count: %q", d)
	}
	typed := bin()
	typed.Columns[1].Type = change.TypeBlob
	if d := disagreement(minimal, typed, hist, false); !strings.Contains(d, "column 1") {
		t.Errorf("type: %q", d)
	}
	signed := bin()
	signed.Columns[0].Unsigned = false
	if d := disagreement(minimal, signed, hist, false); !strings.Contains(d, "unsigned") {
		t.Errorf("signedness: %q", d)
	}
	if d := disagreement(&replication.TableMapEvent{}, signed, hist, false); d != "" {
		t.Errorf("signedness without a bitmap: %q", d)
	}
}
