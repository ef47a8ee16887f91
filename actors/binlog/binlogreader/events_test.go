package binlogreader

import (
	"encoding/binary"
	"hash/crc32"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/klauspost/compress/zstd"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/topology"
)

// This file builds binlog events byte by byte, as a server writes them, and
// decodes them with go-mysql's parser configured like the Stream's syncer.

const testServerID = 1

type binlog struct {
	t      *testing.T
	parser *replication.BinlogParser
	flavor string
	file   string
	pos    uint32
	ts     uint32
}

func newBinlog(t *testing.T, flavor string) *binlog {
	t.Helper()
	p := replication.NewBinlogParser()
	p.SetFlavor(flavor)
	p.SetParseTime(true)
	p.SetTimestampStringLocation(time.UTC)
	p.SetUseDecimal(false)
	p.SetVerifyChecksum(true)
	p.SetPayloadDecoderConcurrency(1)
	p.SetRowsEventDecodeFunc(rawRows) // as the Stream's syncer
	return &binlog{t: t, parser: p, flavor: flavor, file: "bin.000001", pos: 4, ts: 1700000000}
}

// raw frames an event: header, body, and (unless inner) a CRC32 trailer.
func frame(typ replication.EventType, ts, logPos uint32, body []byte, checksum bool) []byte {
	size := replication.EventHeaderSize + len(body)
	if checksum {
		size += 4
	}
	b := make([]byte, 0, size)
	b = binary.LittleEndian.AppendUint32(b, ts)
	b = append(b, byte(typ))
	b = binary.LittleEndian.AppendUint32(b, testServerID)
	b = binary.LittleEndian.AppendUint32(b, uint32(size))
	b = binary.LittleEndian.AppendUint32(b, logPos)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = append(b, body...)
	if checksum {
		b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	}
	return b
}

// event appends an event to the binlog and returns it decoded.
func (l *binlog) event(typ replication.EventType, body []byte) *replication.BinlogEvent {
	l.t.Helper()
	size := uint32(replication.EventHeaderSize + len(body) + 4)
	l.pos += size
	ev, err := l.parser.Parse(frame(typ, l.ts, l.pos, body, true))
	if err != nil {
		l.t.Fatalf("parse %v: %v", typ, err)
	}
	return ev
}

func (l *binlog) fde() *replication.BinlogEvent {
	l.t.Helper()
	var body []byte
	body = binary.LittleEndian.AppendUint16(body, 4)
	ver := make([]byte, 50)
	if l.flavor == mysql.MariaDBFlavor {
		copy(ver, "10.11.19-MariaDB-log")
	} else {
		copy(ver, "8.0.36")
	}
	body = append(body, ver...)
	body = binary.LittleEndian.AppendUint32(body, 0)
	body = append(body, replication.EventHeaderSize)
	lengths := make([]byte, 200)
	lengths[replication.QUERY_EVENT-1] = 13
	lengths[replication.ROTATE_EVENT-1] = 8
	lengths[replication.TABLE_MAP_EVENT-1] = 8
	for _, e := range []replication.EventType{replication.WRITE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv1} {
		lengths[e-1] = 8
	}
	for _, e := range []replication.EventType{replication.WRITE_ROWS_EVENTv2, replication.UPDATE_ROWS_EVENTv2, replication.DELETE_ROWS_EVENTv2, replication.PARTIAL_UPDATE_ROWS_EVENT} {
		lengths[e-1] = 10
	}
	body = append(body, lengths...)
	body = append(body, byte(replication.BINLOG_CHECKSUM_ALG_CRC32))
	// The checksum trailer is part of what the FDE decoder sees.
	ev, err := l.parser.Parse(frame(replication.FORMAT_DESCRIPTION_EVENT, l.ts, 0, body, true))
	if err != nil {
		l.t.Fatalf("parse FDE: %v", err)
	}
	return ev
}

func (l *binlog) rotate(name string, pos uint64, fake bool) *replication.BinlogEvent {
	body := binary.LittleEndian.AppendUint64(nil, pos)
	body = append(body, name...)
	// The fake rotate a dump starts with comes before any FDE and, as the
	// client announced itself checksum-aware, without a checksum.
	ts, logPos, sum := l.ts, l.pos, true
	if fake {
		ts, logPos, sum = 0, 0, false
	}
	ev, err := l.parser.Parse(frame(replication.ROTATE_EVENT, ts, logPos, body, sum))
	if err != nil {
		l.t.Fatal(err)
	}
	l.file, l.pos = name, uint32(pos)
	return ev
}

func (l *binlog) mariaGTID(domain uint32, seq uint64, standalone bool) *replication.BinlogEvent {
	body := binary.LittleEndian.AppendUint64(nil, seq)
	body = binary.LittleEndian.AppendUint32(body, domain)
	flags := byte(replication.BINLOG_MARIADB_FL_TRANSACTIONAL)
	if standalone {
		flags = replication.BINLOG_MARIADB_FL_STANDALONE | replication.BINLOG_MARIADB_FL_DDL
	}
	body = append(body, flags, 0, 0, 0, 0, 0, 0)
	return l.event(replication.MARIADB_GTID_EVENT, body)
}

var testSID = [16]byte{0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x63}

func (l *binlog) mysqlGTID(gno int64) *replication.BinlogEvent {
	body := []byte{1}
	body = append(body, testSID[:]...)
	body = binary.LittleEndian.AppendUint64(body, uint64(gno))
	body = append(body, replication.LogicalTimestampTypeCode)
	body = binary.LittleEndian.AppendUint64(body, 0)
	body = binary.LittleEndian.AppendUint64(body, 0)
	return l.event(replication.GTID_EVENT, body)
}

func queryBody(schema, q string) []byte {
	var b []byte
	b = binary.LittleEndian.AppendUint32(b, 7) // thread id
	b = binary.LittleEndian.AppendUint32(b, 0) // exec time
	b = append(b, byte(len(schema)))
	b = binary.LittleEndian.AppendUint16(b, 0) // error code
	b = binary.LittleEndian.AppendUint16(b, 0) // status vars length
	b = append(b, schema...)
	b = append(b, 0)
	return append(b, q...)
}

func (l *binlog) query(schema, q string) *replication.BinlogEvent {
	return l.event(replication.QUERY_EVENT, queryBody(schema, q))
}

func (l *binlog) xid(x uint64) *replication.BinlogEvent {
	return l.event(replication.XID_EVENT, binary.LittleEndian.AppendUint64(nil, x))
}

// tcol is one column of a test table: its binlog type and metadata bytes,
// and how a value is encoded.
type tcol struct {
	name      string
	typ       byte
	meta      []byte
	unsigned  bool
	numeric   bool
	charCol   bool   // counts in the character-column charset list
	enumSet   bool   // counts in the enum/set charset list
	collation uint64 // for character and enum/set columns
	enum, set []string
	nullable  bool
}

type ttable struct {
	id     uint64
	schema string
	name   string
	cols   []tcol
	pk     []int
	full   bool // write optional metadata
}

func lenenc(b []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(b, byte(n))
	case n < 1<<16:
		return binary.LittleEndian.AppendUint16(append(b, 0xfc), uint16(n))
	default:
		b = append(b, 0xfd)
		return append(b, byte(n), byte(n>>8), byte(n>>16))
	}
}

func tableID(b []byte, id uint64) []byte {
	return append(b, byte(id), byte(id>>8), byte(id>>16), byte(id>>24), byte(id>>32), byte(id>>40))
}

func bitmap(n int, set func(i int) bool) []byte {
	bm := make([]byte, (n+7)/8)
	for i := 0; i < n; i++ {
		if set(i) {
			bm[i/8] |= 1 << (i % 8)
		}
	}
	return bm
}

func tableMapBody(tt *ttable) []byte {
	var b []byte
	b = tableID(b, tt.id)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = append(b, byte(len(tt.schema)))
	b = append(b, tt.schema...)
	b = append(b, 0, byte(len(tt.name)))
	b = append(b, tt.name...)
	b = append(b, 0)
	b = lenenc(b, uint64(len(tt.cols)))
	var meta []byte
	for _, c := range tt.cols {
		b = append(b, c.typ)
		meta = append(meta, c.meta...)
	}
	b = lenenc(b, uint64(len(meta)))
	b = append(b, meta...)
	b = append(b, bitmap(len(tt.cols), func(i int) bool { return tt.cols[i].nullable })...)
	if !tt.full {
		return b
	}
	tlv := func(typ byte, v []byte) {
		b = append(b, typ)
		b = lenenc(b, uint64(len(v)))
		b = append(b, v...)
	}
	// Signedness: one bit per numeric column, most significant first.
	var sign []byte
	n := 0
	for _, c := range tt.cols {
		if !c.numeric {
			continue
		}
		if n%8 == 0 {
			sign = append(sign, 0)
		}
		if c.unsigned {
			sign[n/8] |= 0x80 >> (n % 8)
		}
		n++
	}
	if len(sign) > 0 {
		tlv(replication.TABLE_MAP_OPT_META_SIGNEDNESS, sign)
	}
	var cs []byte
	for _, c := range tt.cols {
		if c.charCol {
			cs = lenenc(cs, c.collation)
		}
	}
	if len(cs) > 0 {
		tlv(replication.TABLE_MAP_OPT_META_COLUMN_CHARSET, cs)
	}
	var names []byte
	for _, c := range tt.cols {
		names = append(names, byte(len(c.name)))
		names = append(names, c.name...)
	}
	tlv(replication.TABLE_MAP_OPT_META_COLUMN_NAME, names)
	strValues := func(typ byte, pick func(c tcol) []string) {
		var v []byte
		for _, c := range tt.cols {
			if e := pick(c); e != nil {
				v = lenenc(v, uint64(len(e)))
				for _, s := range e {
					v = lenenc(v, uint64(len(s)))
					v = append(v, s...)
				}
			}
		}
		if len(v) > 0 {
			tlv(typ, v)
		}
	}
	strValues(replication.TABLE_MAP_OPT_META_SET_STR_VALUE, func(c tcol) []string { return c.set })
	strValues(replication.TABLE_MAP_OPT_META_ENUM_STR_VALUE, func(c tcol) []string { return c.enum })
	if len(tt.pk) > 0 {
		var pk []byte
		for _, i := range tt.pk {
			pk = lenenc(pk, uint64(i))
		}
		tlv(replication.TABLE_MAP_OPT_META_SIMPLE_PRIMARY_KEY, pk)
	}
	var es []byte
	for _, c := range tt.cols {
		if c.enumSet {
			es = lenenc(es, c.collation)
		}
	}
	if len(es) > 0 {
		tlv(replication.TABLE_MAP_OPT_META_ENUM_AND_SET_COLUMN_CHARSET, es)
	}
	return b
}

func (l *binlog) tableMap(tt *ttable) *replication.BinlogEvent {
	return l.event(replication.TABLE_MAP_EVENT, tableMapBody(tt))
}

// rowImage encodes one row image: a null bitmap and the non-null values,
// each already encoded.
func rowImage(vals [][]byte) []byte {
	b := bitmap(len(vals), func(i int) bool { return vals[i] == nil })
	for _, v := range vals {
		b = append(b, v...)
	}
	return b
}

// rowsBody builds a v2 (MySQL) or v1 (MariaDB) rows event body; images are
// encoded rows (for updates: before, after, before, after...).
func rowsBody(tt *ttable, v2, update bool, last bool, images ...[]byte) []byte {
	var b []byte
	b = tableID(b, tt.id)
	flags := uint16(0)
	if last {
		flags = replication.RowsEventStmtEndFlag
	}
	b = binary.LittleEndian.AppendUint16(b, flags)
	if v2 {
		b = binary.LittleEndian.AppendUint16(b, 2)
	}
	b = lenenc(b, uint64(len(tt.cols)))
	all := bitmap(len(tt.cols), func(int) bool { return true })
	b = append(b, all...)
	if update {
		b = append(b, all...)
	}
	for _, img := range images {
		b = append(b, img...)
	}
	return b
}

func (l *binlog) rows(typ replication.EventType, tt *ttable, images ...[]byte) *replication.BinlogEvent {
	v2 := typ >= replication.WRITE_ROWS_EVENTv2 && typ <= replication.DELETE_ROWS_EVENTv2 || typ == replication.PARTIAL_UPDATE_ROWS_EVENT
	update := typ == replication.UPDATE_ROWS_EVENTv1 || typ == replication.UPDATE_ROWS_EVENTv2 || typ == replication.PARTIAL_UPDATE_ROWS_EVENT
	return l.event(typ, rowsBody(tt, v2, update, true, images...))
}

// payload builds a MySQL 8 TRANSACTION_PAYLOAD_EVENT holding inner events
// (framed without checksums, LogPos 0, as MySQL writes them).
func (l *binlog) payload(inner ...[]byte) *replication.BinlogEvent {
	l.t.Helper()
	return l.event(replication.TRANSACTION_PAYLOAD_EVENT, payloadBody(l.t, inner...))
}

// payloadBody is the body of a TRANSACTION_PAYLOAD_EVENT holding inner.
func payloadBody(t *testing.T, inner ...[]byte) []byte {
	t.Helper()
	var plain []byte
	for _, e := range inner {
		plain = append(plain, e...)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	compressed := enc.EncodeAll(plain, nil)
	enc.Close()
	var b []byte
	field := func(typ byte, v uint64) {
		var val []byte
		for v > 0 {
			val = append(val, byte(v))
			v >>= 8
		}
		if len(val) == 0 {
			val = []byte{0}
		}
		b = append(b, typ, byte(len(val)))
		b = append(b, val...)
	}
	field(replication.OTW_PAYLOAD_COMPRESSION_TYPE_FIELD, replication.ZSTD)
	field(replication.OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD, uint64(len(plain)))
	field(replication.OTW_PAYLOAD_SIZE_FIELD, uint64(len(compressed)))
	b = append(b, replication.OTW_PAYLOAD_HEADER_END_MARK)
	return append(b, compressed...)
}

// Value encoders.
func u64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
func str1(s string) []byte {
	return append([]byte{byte(len(s))}, s...)
}
func blob2(s string) []byte {
	return append(binary.LittleEndian.AppendUint16(nil, uint16(len(s))), s...)
}

// datetime2ms encodes DATETIME(3).
func datetime2ms(y, mo, d, h, mi, s, ms int) []byte {
	ymd := int64(y*13+mo)<<5 | int64(d)
	hms := int64(h)<<12 | int64(mi)<<6 | int64(s)
	v := (ymd<<17 | hms) + replication.DATETIMEF_INT_OFS
	b := []byte{byte(v >> 32), byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	return binary.BigEndian.AppendUint16(b, uint16(ms*10))
}

// testStream returns a Stream fed from a test queue instead of a server.
func testStream(t *testing.T, flavor string, sel func(db, table string) bool, gtids string, nextSeq uint64) *Stream {
	t.Helper()
	f := topology.FlavorMySQL
	if flavor == mysql.MariaDBFlavor {
		f = topology.FlavorMariaDB
	}
	s := newStream(Config{Source: &topology.Source{Name: "src", Flavor: f, ServerID: 99}, Select: sel}, nextSeq)
	s.events = make(chan *replication.BinlogEvent, 100000)
	if gtids != "" || flavor == mysql.MariaDBFlavor {
		g, err := mysql.ParseGTIDSet(flavor, gtids)
		if err != nil {
			t.Fatal(err)
		}
		s.gset = g
	}
	return s
}

func feed(s *Stream, evs ...*replication.BinlogEvent) {
	for _, e := range evs {
		s.events <- e
	}
}

// readAll reads batches until the queue is drained.
func readAll(t *testing.T, s *Stream, maxBytes int) []*change.Batch {
	t.Helper()
	var out []*change.Batch
	for len(s.events) > 0 || s.rows != nil || s.release != nil || s.innerIdx < len(s.inner) {
		b, err := s.ReadBatch(t.Context(), maxBytes, time.Millisecond)
		if err != nil {
			t.Fatalf("ReadBatch: %v", err)
		}
		out = append(out, b)
	}
	return out
}

// xaPrepare is an XA_PREPARE_LOG_EVENT for the XID (gtrid, format id 1).
func (l *binlog) xaPrepare(gtrid string, onePhase bool) *replication.BinlogEvent {
	b := []byte{0}
	if onePhase {
		b[0] = 1
	}
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(gtrid)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	return l.event(replication.XA_PREPARE_LOG_EVENT, append(b, gtrid...))
}
