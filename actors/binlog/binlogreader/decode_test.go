package binlogreader

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs"
	"github.com/sluicecdc/sluice/codecs/codectest"
	"github.com/sluicecdc/sluice/topology"
)

// The row decoder against go-mysql's: the same binlog bytes are read by two
// Streams, one decoding rows itself (as in production), one letting
// go-mysql decode them and normalising its values (the decoder before it),
// and every value must be the same Go type and value, and every format's
// record the same bytes.

// matrixTable has a column of every type the row decoder decodes, most of
// them in several widths and precisions.
func matrixTable(id uint64, full bool) *ttable {
	cols := []tcol{
		{name: "id", typ: change.TypeLongLong, unsigned: true, numeric: true},
		{name: "ti", typ: change.TypeTiny, numeric: true, nullable: true},
		{name: "tiu", typ: change.TypeTiny, unsigned: true, numeric: true, nullable: true},
		{name: "si", typ: change.TypeShort, numeric: true, nullable: true},
		{name: "siu", typ: change.TypeShort, unsigned: true, numeric: true, nullable: true},
		{name: "mi", typ: change.TypeInt24, numeric: true, nullable: true},
		{name: "miu", typ: change.TypeInt24, unsigned: true, numeric: true, nullable: true},
		{name: "i", typ: change.TypeLong, numeric: true, nullable: true},
		{name: "iu", typ: change.TypeLong, unsigned: true, numeric: true, nullable: true},
		{name: "bi", typ: change.TypeLongLong, numeric: true, nullable: true},
		{name: "f", typ: change.TypeFloat, meta: []byte{4}, numeric: true, nullable: true},
		{name: "d", typ: change.TypeDouble, meta: []byte{8}, numeric: true, nullable: true},
		{name: "dc65", typ: change.TypeNewDecimal, meta: []byte{65, 30}, numeric: true, nullable: true},
		{name: "dc10", typ: change.TypeNewDecimal, meta: []byte{10, 2}, numeric: true, nullable: true},
		{name: "dc5", typ: change.TypeNewDecimal, meta: []byte{5, 5}, numeric: true, nullable: true},
		{name: "dc18", typ: change.TypeNewDecimal, meta: []byte{18, 0}, numeric: true, nullable: true},
		{name: "b1", typ: change.TypeBit, meta: []byte{1, 0}, nullable: true},
		{name: "b10", typ: change.TypeBit, meta: []byte{2, 1}, nullable: true},
		{name: "b64", typ: change.TypeBit, meta: []byte{0, 8}, nullable: true},
		{name: "ts", typ: change.TypeTimestamp, nullable: true},
		{name: "dt", typ: change.TypeDateTime, nullable: true},
		{name: "tm", typ: change.TypeTime, nullable: true},
		{name: "dte", typ: change.TypeDate, nullable: true},
		{name: "yr", typ: change.TypeYear, numeric: true, nullable: true},
		{name: "vc", typ: change.TypeVarchar, meta: []byte{40, 0}, charCol: true, collation: 45, nullable: true},
		{name: "vcl", typ: change.TypeVarchar, meta: []byte{0x2c, 0x01}, charCol: true, collation: 45, nullable: true},
		{name: "ch", typ: change.TypeString, meta: []byte{change.TypeString, 4}, charCol: true, collation: 8, nullable: true},
		{name: "bn", typ: change.TypeString, meta: []byte{change.TypeString, 8}, charCol: true, collation: 63, nullable: true},
		{name: "en", typ: change.TypeString, meta: []byte{change.TypeEnum, 1}, enumSet: true, collation: 45, enum: []string{"x", "y", "z"}, nullable: true},
		{name: "st", typ: change.TypeString, meta: []byte{change.TypeSet, 1}, enumSet: true, collation: 45, set: []string{"a", "b", "c", "d"}, nullable: true},
		{name: "bl", typ: change.TypeBlob, meta: []byte{2}, charCol: true, collation: 63, nullable: true},
		{name: "tx", typ: change.TypeBlob, meta: []byte{3}, charCol: true, collation: 45, nullable: true},
		{name: "geo", typ: change.TypeGeometry, meta: []byte{4}, charCol: true, collation: 63, nullable: true},
	}
	for dec := range 7 {
		cols = append(cols,
			tcol{name: fmt.Sprintf("dt%d", dec), typ: change.TypeDateTime2, meta: []byte{byte(dec)}, nullable: true},
			tcol{name: fmt.Sprintf("ts%d", dec), typ: change.TypeTimestamp2, meta: []byte{byte(dec)}, nullable: true},
			tcol{name: fmt.Sprintf("tm%d", dec), typ: change.TypeTime2, meta: []byte{byte(dec)}, nullable: true})
	}
	return &ttable{id: id, schema: "shop", name: "matrix", full: full, pk: []int{0}, cols: cols}
}

// randomImage encodes a row of tm with random values: random bytes for the
// fixed-width types (so temporal values include zero dates, dates before
// 1970, out-of-range fields and negative times), well-formed decimals,
// strings and indexes, and NULLs.
func randomImage(r *rand.Rand, tm *replication.TableMapEvent, id uint64) []byte {
	n := int(tm.ColumnCount)
	vals := make([][]byte, n)
	rnd := func(k int) []byte {
		b := make([]byte, k)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	for i := range n {
		if i > 0 && r.IntN(8) == 0 {
			continue // NULL
		}
		tp, meta := tm.ColumnType[i], tm.ColumnMeta[i]
		length := 0
		if tp == change.TypeString {
			tp, length = stringRealType(meta)
		}
		var v []byte
		switch tp {
		case change.TypeTiny, change.TypeYear:
			v = rnd(1)
		case change.TypeShort:
			v = rnd(2)
		case change.TypeInt24, change.TypeDate, change.TypeTime:
			v = rnd(3)
		case change.TypeLong, change.TypeTimestamp:
			v = rnd(4)
		case change.TypeLongLong, change.TypeDateTime:
			v = rnd(8)
			if i == 0 {
				v = u64(id)
			}
		case change.TypeFloat:
			v = binary.LittleEndian.AppendUint32(nil, math.Float32bits(float32(r.NormFloat64()*1e6)))
		case change.TypeDouble:
			v = binary.LittleEndian.AppendUint64(nil, math.Float64bits(r.NormFloat64()*1e12))
		case change.TypeNewDecimal:
			v = randomDecimal(r, int(meta>>8), int(meta&0xff))
		case change.TypeBit:
			v = rnd(int((meta>>8)*8+meta&0xff+7) / 8)
		case change.TypeDateTime2:
			v = rnd(5 + (int(meta)+1)/2)
			if r.IntN(3) == 0 { // mostly plausible dates, some not
				copy(v, datetime2ms(1900+r.IntN(200), 1+r.IntN(12), 1+r.IntN(31), r.IntN(24), r.IntN(60), r.IntN(60), 0)[:5])
			}
		case change.TypeTimestamp2:
			v = rnd(4 + (int(meta)+1)/2)
			if r.IntN(5) == 0 {
				copy(v, []byte{0, 0, 0, 0})
			}
		case change.TypeTime2:
			v = rnd(3 + (int(meta)+1)/2)
		case change.TypeEnum:
			v = []byte{byte(r.IntN(6))}
		case change.TypeSet:
			v = []byte{byte(r.IntN(32))}
		case change.TypeVarchar:
			s := string(rnd(r.IntN(20)))
			if meta >= 256 {
				v = blob2(s)
			} else {
				v = str1(s)
			}
		case change.TypeString:
			v = str1(string(rnd(r.IntN(length + 1))))
		case change.TypeBlob, change.TypeGeometry:
			s := rnd(r.IntN(40))
			switch meta {
			case 2:
				v = blob2(string(s))
			case 3:
				v = append([]byte{byte(len(s)), 0, 0}, s...)
			case 4:
				v = append(binary.LittleEndian.AppendUint32(nil, uint32(len(s))), s...)
			}
		default:
			panic(fmt.Sprintf("column %d: type %d", i, tp))
		}
		vals[i] = v
	}
	return rowImage(vals)
}

// randomDecimal encodes a random DECIMAL(precision, scale) in MySQL's binary
// form: digit groups of 9 in 4 bytes, the rest compressed, the sign in the
// top bit and negatives inverted.
func randomDecimal(r *rand.Rand, precision, scale int) []byte {
	compressed := [...]int{0, 1, 1, 2, 2, 3, 3, 4, 4, 4}
	pow10 := func(n int) uint64 {
		p := uint64(1)
		for range n {
			p *= 10
		}
		return p
	}
	var b []byte
	group := func(digits int) {
		size := compressed[digits]
		if digits == 9 {
			size = 4
		}
		v := uint64(0)
		if r.IntN(4) != 0 {
			v = r.Uint64N(pow10(digits))
		}
		for i := size - 1; i >= 0; i-- {
			b = append(b, byte(v>>(8*uint(i))))
		}
	}
	integral := precision - scale
	group(integral % 9)
	for range integral / 9 {
		group(9)
	}
	for range scale / 9 {
		group(9)
	}
	group(scale % 9)
	b[0] ^= 0x80
	if r.IntN(2) == 0 {
		for i := range b {
			b[i] ^= 0xff
		}
	}
	return b
}

// mariaCompressed turns a v1 rows event body into MariaDB's compressed
// form: the row images zlib-compressed behind a length header.
func mariaCompressed(body []byte, rowsAt int) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(body[rowsAt:])
	w.Close()
	n := len(body) - rowsAt
	out := append([]byte(nil), body[:rowsAt]...)
	out = append(out, 0x80|4, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	return append(out, z.Bytes()...)
}

// streamPair feeds the same events (raw frames) to a Stream with the row
// decoder and to one with go-mysql's, and returns both streams' changes.
type streamPair struct {
	t    *testing.T
	own  *binlog
	gm   *binlog
	s, g *Stream
}

func newStreamPair(t *testing.T, flavor string) *streamPair {
	p := &streamPair{t: t, own: newBinlog(t, flavor), gm: newBinlog(t, flavor)}
	p.gm.parser.SetRowsEventDecodeFunc(nil)
	p.s = testStream(t, flavor, nil, "", 1)
	p.g = testStream(t, flavor, nil, "", 1)
	p.g.goMySQLRows = true
	feed(p.s, p.own.fde())
	feed(p.g, p.gm.fde())
	return p
}

func (p *streamPair) event(typ replication.EventType, body []byte) *replication.BinlogEvent {
	a, b := p.own.event(typ, body), p.gm.event(typ, body)
	feed(p.s, a)
	feed(p.g, b)
	return a
}

func (p *streamPair) compare(formats bool) int {
	t := p.t
	got, want := changesOf(readAll(t, p.s, 1<<20)), changesOf(readAll(t, p.g, 1<<20))
	p.compareChanges(got, want, formats)
	return len(got)
}

// compareChanges compares the changes of the row decoder (got) with those
// of go-mysql's (want): values by type and value, and with formats every
// format's record byte for byte.
func (p *streamPair) compareChanges(got, want []change.Change, formats bool) {
	t := p.t
	t.Helper()
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("%d changes with the row decoder, %d with go-mysql's", len(got), len(want))
	}
	var encs []codecs.Encoder
	if formats {
		for _, f := range []struct {
			format topology.Format
			opts   codecs.Options
		}{
			{topology.FormatCanalJSON, codecs.Options{CanalFlavor: "dts"}},
			{topology.FormatCanalJSON, codecs.Options{CanalFlavor: "canal"}},
			{topology.FormatDebeziumJSON, codecs.Options{SourceName: "x"}},
			{topology.FormatDTSAvro, codecs.Options{}},
		} {
			f.opts.Now = codectest.Now
			enc, err := codecs.New(f.format, f.opts)
			if err != nil {
				t.Fatal(err)
			}
			encs = append(encs, enc)
		}
	}
	for i := range got {
		a, b := &got[i], &want[i]
		for _, img := range []struct {
			name string
			a, b []any
		}{{"before", a.Before, b.Before}, {"after", a.After, b.After}} {
			if len(img.a) != len(img.b) {
				t.Fatalf("change %d %s: %d values, want %d", i, img.name, len(img.a), len(img.b))
			}
			for j := range img.a {
				if !reflect.DeepEqual(img.a[j], img.b[j]) {
					t.Errorf("change %d %s column %d (%s, type %d meta %d): %#v (%T), go-mysql's %#v (%T)", i, img.name, j,
						a.Table.Columns[j].Name, a.Table.Columns[j].Type, a.Table.Columns[j].Meta, img.a[j], img.a[j], img.b[j], img.b[j])
				}
			}
		}
		if a.Size != b.Size || a.Op != b.Op || a.Seq != b.Seq {
			t.Errorf("change %d: size %d op %v seq %d, go-mysql's %d %v %d", i, a.Size, a.Op, a.Seq, b.Size, b.Op, b.Seq)
		}
		for k, enc := range encs {
			var ra, rb codecs.Record
			ea, eb := enc.Encode(a, &ra), enc.Encode(b, &rb)
			if (ea == nil) != (eb == nil) || !bytes.Equal(ra.Key, rb.Key) || !bytes.Equal(ra.Value, rb.Value) {
				t.Errorf("change %d, format %d: the records differ (errors %v, %v)\n%q\n%q", i, k, ea, eb, ra.Value, rb.Value)
			}
		}
	}
}

func changesOf(bs []*change.Batch) []change.Change {
	var out []change.Change
	for _, b := range bs {
		out = append(out, b.Changes...)
	}
	return out
}

func TestRowDecoder_SameValuesAsGoMySQL(t *testing.T) {
	for _, tc := range []struct {
		name   string
		flavor string
		full   bool
	}{
		{"MariaDB full metadata", mysql.MariaDBFlavor, true},
		{"MariaDB minimal metadata", mysql.MariaDBFlavor, false},
		{"MySQL full metadata", mysql.MySQLFlavor, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, uint64(len(tc.name))))
			p := newStreamPair(t, tc.flavor)
			tt := matrixTable(80, tc.full)
			tmEv := p.event(replication.TABLE_MAP_EVENT, tableMapBody(tt))
			tm := tmEv.Event.(*replication.TableMapEvent)
			ins, upd, del := replication.WRITE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv1
			if tc.flavor == mysql.MySQLFlavor {
				ins, upd, del = replication.WRITE_ROWS_EVENTv2, replication.UPDATE_ROWS_EVENTv2, replication.DELETE_ROWS_EVENTv2
			}
			v2 := tc.flavor == mysql.MySQLFlavor
			id := uint64(0)
			images := func(k int) [][]byte {
				var out [][]byte
				for range k {
					id++
					out = append(out, randomImage(r, tm, id))
				}
				return out
			}
			for range 20 {
				p.event(ins, rowsBody(tt, v2, false, false, images(25)...))
				p.event(upd, rowsBody(tt, v2, true, false, images(20)...))
				p.event(del, rowsBody(tt, v2, false, false, images(5)...))
			}
			if tc.flavor == mysql.MariaDBFlavor { // MariaDB's compressed rows events
				plain := rowsBody(tt, false, false, false)
				body := rowsBody(tt, false, false, false, images(30)...)
				p.event(replication.MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1, mariaCompressed(body, len(plain)))
				plain = rowsBody(tt, false, true, false)
				body = rowsBody(tt, false, true, false, images(10)...)
				p.event(replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1, mariaCompressed(body, len(plain)))
			} else { // a MySQL 8 compressed transaction
				var inner [][]byte
				inner = append(inner, frame(replication.TABLE_MAP_EVENT, 0, 0, tableMapBody(tt), false))
				inner = append(inner, frame(ins, 0, 0, rowsBody(tt, true, false, false, images(30)...), false))
				inner = append(inner, frame(upd, 0, 0, rowsBody(tt, true, true, true, images(10)...), false))
				p.event(replication.TRANSACTION_PAYLOAD_EVENT, payloadBody(t, inner...))
			}
			n := p.compare(true)
			for _, e := range p.s.tables.byID {
				if e.plan == nil || !e.plan.native {
					t.Fatalf("table %s was not decoded by the row decoder", e.table.QualifiedName())
				}
			}
			t.Logf("%d changes compared", n)
		})
	}
}

// A batch that follows a full one is allocated for as many changes, not
// grown from 64 (which allocates its Changes about twice over); a batch
// that follows a part-filled one starts small.
func TestStream_BatchAfterAFullOneHasRoom(t *testing.T) {
	l := newBinlog(t, mysql.MariaDBFlavor)
	s := testStream(t, mysql.MariaDBFlavor, nil, "", 1)
	tt := workloadTable(70)
	feed(s, l.fde(), l.mariaGTID(0, 1, false), l.tableMap(tt))
	var imgs [][]byte
	for n := range uint64(2000) {
		imgs = append(imgs, workloadRow(n+1))
	}
	feed(s, l.rows(replication.WRITE_ROWS_EVENTv1, tt, imgs...))
	const maxBytes = 200 << 10
	first, err := s.ReadBatch(t.Context(), maxBytes, 0)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.ReadBatch(t.Context(), maxBytes, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := len(first.Changes)
	if first.Bytes < maxBytes || n <= 64 || len(second.Changes) != n {
		t.Fatalf("batches of %d and %d changes (%d bytes): want two full ones of equal counts", n, len(second.Changes), first.Bytes)
	}
	if c := cap(second.Changes); c < n || c > n+n/16 {
		t.Errorf("second batch allocated for %d changes, want %d to %d", c, n, n+n/16)
	}
	feed(s, l.xid(1))
	rest := readAll(t, s, maxBytes)
	last := rest[len(rest)-1]
	if len(last.Changes) >= n {
		t.Fatalf("the last batch holds %d changes, want the rest (< %d)", len(last.Changes), n)
	}
	feed(s, l.mariaGTID(0, 2, false), l.tableMap(tt), l.rows(replication.WRITE_ROWS_EVENTv1, tt, imgs[0]), l.xid(2))
	next := readAll(t, s, maxBytes)
	if c := cap(next[0].Changes); c != 64 {
		t.Errorf("a batch after a part-filled one allocated for %d changes, want 64", c)
	}
}

// The row decoder applies the fixes only a schema history gives: unsigned
// integers on a server that logs no signedness, and MariaDB's INET4, INET6
// and UUID (logged as BINARY) as their text; normalize of go-mysql's values
// is what they must equal.
func TestRowDecoder_HistoryFixes(t *testing.T) {
	tbl := &change.Table{Columns: append(integerColumns(),
		change.Column{Name: "ip4", Type: change.TypeString, Meta: uint16(change.TypeString)<<8 | 4, Charset: "binary", ColumnType: "inet4"},
		change.Column{Name: "ip6", Type: change.TypeString, Meta: uint16(change.TypeString)<<8 | 16, Charset: "binary", ColumnType: "inet6"},
		change.Column{Name: "uu", Type: change.TypeString, Meta: uint16(change.TypeString)<<8 | 16, Charset: "binary", ColumnType: "uuid"},
		change.Column{Name: "bn", Type: change.TypeString, Meta: uint16(change.TypeString)<<8 | 6, Charset: "binary", ColumnType: "binary(6)"},
	)}
	tm := &replication.TableMapEvent{ColumnCount: uint64(len(tbl.Columns))} // NO_LOG: no signedness bitmap
	for _, c := range tbl.Columns {
		tm.ColumnType = append(tm.ColumnType, c.Type)
		tm.ColumnMeta = append(tm.ColumnMeta, c.Meta)
	}
	e := &tableEntry{table: tbl, fixes: fixesFor(tbl, tm)}
	ip6 := "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
	uu := "\x12\x3e\x45\x67\xe8\x9b\x12\xd3\xa4\x56\x42\x66\x55\x44"
	image := rowImage([][]byte{
		{0xc8}, {0xff, 0xff}, {0xff, 0xff, 0xff}, binary.LittleEndian.AppendUint32(nil, 4000000000), u64(math.MaxUint64),
		binary.LittleEndian.AppendUint32(nil, uint32(0xfffffff9)),
		str1("\x0a\x00\x00"), str1(ip6), str1(uu), str1("ab"),
	})
	// go-mysql's values for the same bytes: signed integers, the stored
	// (zero-stripped) bytes as strings.
	want := []any{int8(-56), int16(-1), int32(-1), int32(-294967296), int64(-1), int32(-7), "\x0a\x00\x00", ip6, uu, "ab"}
	e.normalize(want)
	var d rowDecoder
	rows, err := d.decodeRows(planFor(tm, e), image, bitmap(len(tbl.Columns), func(int) bool { return true }), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	for i := range want {
		if !reflect.DeepEqual(rows[0][i], want[i]) {
			t.Errorf("column %s: %#v (%T), normalize gives %#v (%T)", tbl.Columns[i].Name, rows[0][i], rows[0][i], want[i], want[i])
		}
	}
	if want[6] != "10.0.0.0" || want[8] != "123e4567-e89b-12d3-a456-426655440000" || want[9] != "ab\x00\x00\x00\x00" {
		t.Errorf("normalize itself: %q %q %q", want[6], want[8], want[9])
	}
}
