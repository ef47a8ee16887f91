package canaljson

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs/codec"
	"github.com/sluicecdc/sluice/codecs/codectest"
	"github.com/sluicecdc/sluice/internal/errkind"
)

func newEncoder(t *testing.T, flavor string) *Encoder {
	t.Helper()
	e, err := New(codec.Options{CanalFlavor: flavor, Now: codectest.Now})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// flat is the FlatMessage shape, read with encoding/json (not our code).
type flat struct {
	Data      []map[string]*string `json:"data"`
	Database  string               `json:"database"`
	ES        int64                `json:"es"`
	GTID      *string              `json:"gtid"`
	ID        uint64               `json:"id"`
	IsDDL     bool                 `json:"isDdl"`
	MySQLType map[string]string    `json:"mysqlType"`
	Old       []map[string]*string `json:"old"`
	PKNames   []string             `json:"pkNames"`
	SQL       string               `json:"sql"`
	SQLType   map[string]int       `json:"sqlType"`
	Table     string               `json:"table"`
	TS        int64                `json:"ts"`
	Type      string               `json:"type"`
}

func decode(t *testing.T, rec *codec.Record) flat {
	t.Helper()
	var f flat
	dec := json.NewDecoder(bytes.NewReader(rec.Value))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("not Canal JSON: %v\n%s", err, rec.Value)
	}
	return f
}

func suite(flavor string) codectest.Suite {
	return codectest.Suite{
		New: func(t *testing.T) codec.Encoder { return newEncoder(t, flavor) },
		Row: func(t *testing.T, rec *codec.Record, image string) map[string]*string {
			f := decode(t, rec)
			if f.IsDDL || len(f.Data) != 1 {
				return nil
			}
			switch {
			case image == "after" && f.Type != "DELETE":
				return f.Data[0]
			case image == "before" && f.Type == "DELETE":
				return f.Data[0]
			case image == "before" && f.Type == "UPDATE":
				// old holds all columns (dts) or the changed ones (canal).
				row := map[string]*string{}
				for k, v := range f.Data[0] {
					row[k] = v
				}
				for k, v := range f.Old[0] {
					row[k] = v
				}
				return row
			}
			return nil
		},
	}
}

func TestEncoder_Conformance(t *testing.T) {
	for _, flavor := range []string{FlavorDTS, FlavorCanal} {
		t.Run(flavor, func(t *testing.T) { codectest.Run(t, suite(flavor)) })
	}
}

func TestEncoder_Golden(t *testing.T) {
	for _, flavor := range []string{FlavorDTS, FlavorCanal} {
		e := newEncoder(t, flavor)
		for _, op := range codectest.Ops {
			rec := codectest.Encode(t, e, codectest.Changes()[op])
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, rec.Value, "", "  "); err != nil {
				t.Fatalf("%s %s: %v", flavor, op, err)
			}
			// The golden file holds the exact bytes on the first line and an
			// indented copy for review below.
			got := append(append([]byte(nil), rec.Value...), '\n')
			got = append(got, pretty.Bytes()...)
			codectest.Golden(t, flavor+"_"+op+".golden", append(got, '\n'))
		}
	}
}

func TestEncoder_FlavourDifferences(t *testing.T) {
	ch := codectest.Changes()
	dts, canal := newEncoder(t, FlavorDTS), newEncoder(t, FlavorCanal)

	snapD, snapC := decode(t, codectest.Encode(t, dts, ch["snapshot"])), decode(t, codectest.Encode(t, canal, ch["snapshot"]))
	if snapD.Type != "INIT" || snapC.Type != "INSERT" {
		t.Errorf("snapshot type: dts %q canal %q, want INIT and INSERT", snapD.Type, snapC.Type)
	}
	updD, updC := decode(t, codectest.Encode(t, dts, ch["update"])), decode(t, codectest.Encode(t, canal, ch["update"]))
	if len(updD.Old[0]) != len(codectest.TypesTable().Columns) {
		t.Errorf("dts old has %d columns, want all", len(updD.Old[0]))
	}
	if len(updC.Old[0]) != 4 { // c_int, c_varchar, c_text, c_null changed
		t.Errorf("canal old = %v, want the 4 changed columns", updC.Old[0])
	}
	if updD.MySQLType["id"] != "bigint unsigned" || updC.MySQLType["id"] != "bigint(20) unsigned" {
		t.Errorf("mysqlType id: dts %q canal %q", updD.MySQLType["id"], updC.MySQLType["id"])
	}
	if updD.MySQLType["c_enum"] != "enum" || updC.MySQLType["c_enum"] != "enum('small','large')" {
		t.Errorf("mysqlType c_enum: dts %q canal %q", updD.MySQLType["c_enum"], updC.MySQLType["c_enum"])
	}
	if updD.GTID == nil || *updD.GTID != "0-1-42" {
		t.Errorf("dts gtid = %v", updD.GTID)
	}
	// Canal 1.1.8's FlatMessage has gtid in every message: the executed GTID
	// set with the transaction, "" without GTIDs (and for snapshot rows).
	for _, op := range codectest.Ops {
		c := ch[op]
		want := c.GTIDSet
		if got := decode(t, codectest.Encode(t, canal, c)).GTID; got == nil || *got != want {
			t.Errorf("canal flavour %s: gtid = %v, want %q", op, got, want)
		}
	}
	ddlD, ddlC := decode(t, codectest.Encode(t, dts, ch["ddl"])), decode(t, codectest.Encode(t, canal, ch["ddl"]))
	if ddlD.Type != "DDL" || ddlC.Type != "ALTER" || !ddlD.IsDDL || ddlD.SQL == "" || ddlD.Data != nil || ddlD.Table != "all_types" {
		t.Errorf("ddl: dts %+v canal type %q", ddlD, ddlC.Type)
	}
	del := decode(t, codectest.Encode(t, dts, ch["delete"]))
	if del.Old != nil || len(del.Data) != 1 {
		t.Errorf("delete: old %v data %d, want old null and the row in data", del.Old, len(del.Data))
	}
	ins := decode(t, codectest.Encode(t, dts, ch["insert"]))
	if ins.ES != 1_700_000_000_000 || ins.TS != 1_700_000_000_123 || ins.ID != 1001 || ins.Old != nil {
		t.Errorf("insert: es %d ts %d id %d old %v", ins.ES, ins.TS, ins.ID, ins.Old)
	}
	if len(ins.PKNames) != 1 || ins.PKNames[0] != "id" || ins.SQLType["id"] != 3 || ins.SQLType["c_int"] != 4 {
		t.Errorf("insert: pkNames %v sqlType %v", ins.PKNames, ins.SQLType)
	}
}

// TestEncoder_ValueRendering pins every type's text (docs/types.md).
func TestEncoder_ValueRendering(t *testing.T) {
	row := decode(t, codectest.Encode(t, newEncoder(t, FlavorDTS), codectest.Changes()["insert"])).Data[0]
	for col, want := range map[string]string{
		"id":          "18446744073709551615",
		"c_tiny":      "-128",
		"c_tiny_u":    "255",
		"c_medium":    "-8388608",
		"c_int_u":     "4294967295",
		"c_big":       "-9223372036854775808",
		"c_dec":       "-12345678901234567890123456789012345.123456789012345678901234567890",
		"c_float":     "0.1",
		"c_double":    "1.0E10",
		"c_bit1":      "1",
		"c_bit64":     "18446744073709551615",
		"c_date":      "2024-02-29",
		"c_time":      "-838:59:59.000000",
		"c_time_long": "100:00:01",
		"c_datetime":  "1999-12-31 23:59:59",
		"c_datetime6": "2024-02-29 12:34:56.000789",
		"c_ts3":       "2038-01-19 03:14:07.999",
		"c_year":      "2155",
		"c_varchar":   "héllo \"wörld\"\n😀",
		"c_latin1":    "café €",
		"c_varbinary": "\x00\x01ÿ",
		"c_binary":    "ab\x00\x00",
		"c_char":      "",
		"c_text":      "long text\twith tab",
		"c_blob":      "\x00Þ\u00ad¾ï",
		"c_longtext":  "LONGTEXT ✓",
		"c_json":      `{"a": [1, 2.5, "x"], "b": null}`,
		"c_enum":      "large",
		"c_set":       "a,c",
		"c_zero_dt":   "0000-00-00 00:00:00",
		"c_empty":     "",
	} {
		if got := row[col]; got == nil || *got != want {
			t.Errorf("%s = %q, want %q", col, deref(got), want)
		}
	}
	// Binary round trip: ISO-8859-1 encoding of the string gives the bytes back.
	blob := []rune(*row["c_blob"])
	back := make([]byte, len(blob))
	for i, r := range blob {
		back[i] = byte(r)
	}
	if !bytes.Equal(back, []byte{0x00, 0xde, 0xad, 0xbe, 0xef}) {
		t.Errorf("c_blob does not read back as its bytes: % x", back)
	}
}

func deref(p *string) string {
	if p == nil {
		return "<NULL>"
	}
	return *p
}

func TestDDLType_CanalKinds(t *testing.T) {
	for sql, want := range map[string]string{
		"CREATE TABLE t (id int)":                 "CREATE",
		"create table if not exists t (id int)":   "CREATE",
		"/* c */ ALTER TABLE t ADD c int":         "ALTER",
		"DROP TABLE t":                            "ERASE",
		"drop table if exists t":                  "ERASE",
		"TRUNCATE TABLE t":                        "TRUNCATE",
		"RENAME TABLE a TO b":                     "RENAME",
		"CREATE UNIQUE INDEX i ON t (c)":          "CINDEX",
		"DROP INDEX i ON t":                       "DINDEX",
		"CREATE DATABASE d":                       "QUERY",
		"  \n-- note\nCREATE TABLE `t`(`id` int)": "CREATE",
		"": "QUERY",
	} {
		if got := DDLType(sql); got != want {
			t.Errorf("DDLType(%q) = %s, want %s", sql, got, want)
		}
	}
}

func TestNew_UnknownFlavour(t *testing.T) {
	if _, err := New(codec.Options{CanalFlavor: "maxwell"}); err == nil {
		t.Fatal("New accepted an unknown flavour")
	}
}

func BenchmarkEncode_CanalJSON(b *testing.B) {
	for _, flavor := range []string{FlavorDTS, FlavorCanal} {
		b.Run(flavor, func(b *testing.B) {
			codectest.Bench(b, func() codec.Encoder {
				e, _ := New(codec.Options{CanalFlavor: flavor, Now: codectest.Now})
				return e
			})
		})
	}
}

// TestEncoder_Year_ZeroIsFourZeros pins YEAR's text in both flavours: the
// zero year is "0000", as MySQL prints it and Canal's RowsLogBuffer writes it
// (it was "0").
func TestEncoder_Year_ZeroIsFourZeros(t *testing.T) {
	tbl := &change.Table{Schema: "shop", Name: "years", Columns: []change.Column{
		{Name: "y", Type: change.TypeYear, ColumnType: "year(4)", Unsigned: true, Nullable: true},
	}}
	for _, flavor := range []string{FlavorDTS, FlavorCanal} {
		e := newEncoder(t, flavor)
		for _, tc := range []struct {
			in   any
			want string
		}{{int(0), "0000"}, {int(1901), "1901"}, {int(2155), "2155"}} {
			c := &change.Change{Op: change.OpInsert, Table: tbl, After: []any{tc.in}, Pos: codectest.Pos}
			if got := decode(t, codectest.Encode(t, e, c)).Data[0]["y"]; got == nil || *got != tc.want {
				t.Errorf("%s: YEAR %v = %q, want %q", flavor, tc.in, deref(got), tc.want)
			}
		}
	}
}

// TestEncoder_EnumSet_CanalWritesNumbers pins ENUM and SET in the canal
// flavour: the 1-based ENUM index and the SET bit mask, as Canal's row
// converter writes them (they were written as names); names with
// Options.CanalEnumNames, and always in the dts flavour.
func TestEncoder_EnumSet_CanalWritesNumbers(t *testing.T) {
	tbl := &change.Table{Schema: "shop", Name: "es", Columns: []change.Column{
		{Name: "e", Type: change.TypeEnum, ColumnType: "enum('small','large')", Charset: "utf8mb4", Elements: []string{"small", "large"}, Nullable: true},
		{Name: "s", Type: change.TypeSet, ColumnType: "set('a','b','c')", Charset: "utf8mb4", Elements: []string{"a", "b", "c"}, Nullable: true},
	}}
	names, err := New(codec.Options{CanalFlavor: FlavorCanal, CanalEnumNames: true, Now: codectest.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		e, s                   any
		wantE, wantS           string // canal flavour
		wantNamesE, wantNamesS string // names option and dts flavour
	}{
		{"small", "a", "1", "1", "small", "a"},
		{"large", "a,b,c", "2", "7", "large", "a,b,c"},
		{"large", "a,c", "2", "5", "large", "a,c"},
		{"", "", "0", "0", "", ""},
		{"7", "c", "7", "4", "7", "c"}, // an index past the elements, as the decoder leaves it
		{nil, nil, "<NULL>", "<NULL>", "<NULL>", "<NULL>"},
	} {
		c := &change.Change{Op: change.OpInsert, Table: tbl, After: []any{tc.e, tc.s}, Pos: codectest.Pos}
		for _, enc := range []struct {
			name   string
			e      codec.Encoder
			e2, s2 string
		}{
			{"canal", newEncoder(t, FlavorCanal), tc.wantE, tc.wantS},
			{"canal names", names, tc.wantNamesE, tc.wantNamesS},
			{"dts", newEncoder(t, FlavorDTS), tc.wantNamesE, tc.wantNamesS},
		} {
			row := decode(t, codectest.Encode(t, enc.e, c)).Data[0]
			if deref(row["e"]) != enc.e2 || deref(row["s"]) != enc.s2 {
				t.Errorf("%s: ENUM %v SET %v = %q %q, want %q %q", enc.name, tc.e, tc.s, deref(row["e"]), deref(row["s"]), enc.e2, enc.s2)
			}
		}
	}
	c := &change.Change{Op: change.OpInsert, Table: tbl, After: []any{"medium", "a"}, Pos: codectest.Pos}
	if err := newEncoder(t, FlavorCanal).Encode(c, &codec.Record{}); err == nil || !errkind.IsTerminal(err) {
		t.Errorf("an ENUM name the column does not have: err = %v, want terminal", err)
	}
}
