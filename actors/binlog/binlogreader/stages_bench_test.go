package binlogreader

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/segmentio/kafka-go/protocol"

	"github.com/sluicecdc/sluice/actors/pipeline"
	"github.com/sluicecdc/sluice/actors/sink/kafkawriter"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/codecs"
	"github.com/sluicecdc/sluice/topology"
)

// The stage benchmarks (make bench-stages, docs/benchmarks.md) measure the
// catch-up path on the harness's table (bench/workload.go: id, ts_us and
// INT, BIGINT, DECIMAL(14,2), DOUBLE, DATETIME(6), VARCHAR(48),
// VARCHAR(32)) and its mix: per transaction one 500-row statement of each
// kind in the proportion 70/20/10 inserts, updates, deletes. One op is one
// row event, so ns/op and allocs/op are per event.

const (
	pathInserts, pathUpdates, pathDeletes = 350, 100, 50
	pathRowsPerTxn                        = pathInserts + pathUpdates + pathDeletes
)

// workloadTable is bench/workload.go's default table as a TABLE_MAP
// describes it (MariaDB, FULL metadata, utf8mb4 strings).
func workloadTable(id uint64) *ttable {
	return &ttable{
		id: id, schema: "perf_bench", name: "t1", full: true, pk: []int{0},
		cols: []tcol{
			{name: "id", typ: change.TypeLongLong, numeric: true},
			{name: "ts_us", typ: change.TypeLongLong, numeric: true},
			{name: "c1", typ: change.TypeLong, numeric: true},
			{name: "c2", typ: change.TypeLongLong, numeric: true},
			{name: "c3", typ: change.TypeNewDecimal, meta: []byte{14, 2}, numeric: true},
			{name: "c4", typ: change.TypeDouble, meta: []byte{8}, numeric: true},
			{name: "c5", typ: change.TypeDateTime2, meta: []byte{6}},
			{name: "c6", typ: change.TypeVarchar, meta: []byte{192, 0}, charCol: true, collation: 45},
			{name: "c7", typ: change.TypeVarchar, meta: []byte{128, 0}, charCol: true, collation: 45},
		},
	}
}

// workloadRow encodes row n of workloadTable, values varying like the
// generator's.
func workloadRow(n uint64) []byte {
	ts := 1_700_000_000_000_000 + n*137
	dec := n * 7919 % 1_000_000_000 // DECIMAL(14,2): 3+9 integer digits, 2 fraction digits
	decimal := []byte{0x80, 0}
	decimal = binary.BigEndian.AppendUint32(decimal, uint32(dec))
	decimal = append(decimal, byte(n%100))
	name := []byte("customer-0000000000-lisbon-portugal-")
	for i, v := 18, n; i >= 9; i, v = i-1, v/10 {
		name[i] = byte('0' + v%10)
	}
	return rowImage([][]byte{
		u64(n), u64(ts),
		binary.LittleEndian.AppendUint32(nil, uint32(n*31)),
		u64(n * n),
		decimal,
		binary.LittleEndian.AppendUint64(nil, math.Float64bits(float64(n)*1.25)),
		datetime2us(2024, 1+int(n%12), 1+int(n%28), int(n%24), int(n%60), int(n/60%60), int(n%1_000_000)),
		str1(string(name)),
		str1("status-" + string(name[9:19])),
	})
}

// datetime2us encodes DATETIME(6).
func datetime2us(y, mo, d, h, mi, s, us int) []byte {
	b := datetime2ms(y, mo, d, h, mi, s, 0)[:5]
	return append(b, byte(us>>16), byte(us>>8), byte(us))
}

// workloadBinlog returns txns transactions of the workload as raw MariaDB
// events (GTID, TABLE_MAP and rows events, XID), framed as the server sends
// them, and the number of row events they hold.
func workloadBinlog(txns int) (raw [][]byte, rows int) {
	tt := workloadTable(70)
	pos := uint32(4)
	add := func(typ replication.EventType, body []byte) {
		pos += uint32(replication.EventHeaderSize + len(body) + 4)
		raw = append(raw, frame(typ, 1700000000, pos, body, true))
	}
	n := uint64(0)
	next := func() []byte { n++; return workloadRow(n) }
	for i := range txns {
		gtid := binary.LittleEndian.AppendUint64(nil, uint64(i+1))
		gtid = binary.LittleEndian.AppendUint32(gtid, 0)
		add(replication.MARIADB_GTID_EVENT, append(gtid, replication.BINLOG_MARIADB_FL_TRANSACTIONAL, 0, 0, 0, 0, 0, 0))
		var ins, upd, del [][]byte
		for range pathInserts {
			ins = append(ins, next())
		}
		for range pathUpdates {
			upd = append(upd, next(), next())
		}
		for range pathDeletes {
			del = append(del, next())
		}
		add(replication.TABLE_MAP_EVENT, tableMapBody(tt))
		add(replication.WRITE_ROWS_EVENTv1, rowsBody(tt, false, false, true, ins...))
		add(replication.TABLE_MAP_EVENT, tableMapBody(tt))
		add(replication.UPDATE_ROWS_EVENTv1, rowsBody(tt, false, true, true, upd...))
		add(replication.TABLE_MAP_EVENT, tableMapBody(tt))
		add(replication.DELETE_ROWS_EVENTv1, rowsBody(tt, false, false, true, del...))
		add(replication.XID_EVENT, u64(uint64(i)))
	}
	return raw, txns * pathRowsPerTxn
}

// decoder is go-mysql's parser (set up as the Stream's syncer sets it up)
// feeding a Stream: the decode stage without the network.
type decoder struct {
	tb     testing.TB
	parser *replication.BinlogParser
	s      *Stream
}

func newDecoder(tb testing.TB) *decoder {
	t := &testing.T{}
	l := newBinlog(t, mysql.MariaDBFlavor)
	s := testStream(t, mysql.MariaDBFlavor, nil, "", 1)
	s.events <- l.fde() // as the syncer hands it over: the stream learns the checksum
	return &decoder{tb: tb, parser: l.parser, s: s}
}

// decode parses raw and hands each batch the Stream returns to sink; it
// returns the row events decoded.
func (d *decoder) decode(raw [][]byte, sink func(*change.Batch)) int {
	n := 0
	for _, r := range raw {
		ev, err := d.parser.Parse(r)
		if err != nil {
			d.tb.Fatal(err)
		}
		d.s.events <- ev
		for len(d.s.events) > 0 || d.s.rows != nil {
			batch, err := d.s.ReadBatch(context.Background(), 1<<20, 0) // the binlog actor's batch cap
			if err != nil {
				d.tb.Fatal(err)
			}
			n += len(batch.Changes)
			if sink != nil && len(batch.Changes) > 0 {
				sink(batch)
			}
		}
	}
	return n
}

// BenchmarkStage_Decode: go-mysql's rows event parsing and the Stream's
// normalisation and batching, per row event.
func BenchmarkStage_Decode(b *testing.B) {
	raw, rows := workloadBinlog(4)
	b.ReportAllocs()
	b.ResetTimer()
	m0 := mallocs()
	for done := 0; done < b.N; {
		// A new parser and Stream per pass: the GTIDs start again.
		if n := newDecoder(b).decode(raw, nil); n != rows {
			b.Fatalf("%d changes, want %d", n, rows)
		}
		done += rows
	}
	reportAllocsPerEvent(b, m0)
}

// mallocs is the process's count of heap allocations so far.
func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// reportAllocsPerEvent reports the allocations since m0 per row event (one
// op) with their fraction: allocs/op rounds them down to a whole number.
func reportAllocsPerEvent(b *testing.B, m0 uint64) {
	b.ReportMetric(float64(mallocs()-m0)/float64(b.N), "allocs/event")
}

const pathTopology = `version: 1
sources:
  - name: db
    flavor: mariadb
    host: 127.0.0.1
    user: u
    password: p
    server_id: 9
    start: latest
    objects:
      tables:
        - pattern: perf_bench.t1
sinks:
  - name: k
    from: db
    brokers: [127.0.0.1:9092]
    topic: perf_bench
    format: %s
`

// BenchmarkCatchUp_Path is the whole catch-up path of one row event in
// one process, without the network: decode (as BenchmarkStage_Decode), the
// pipeline stage with the topology's defaults (transform, route, encode
// canal-json) and kafka-go's encoding of the records into lz4-compressed
// record batches of at most 1 MiB, as the Kafka writer hands them to the
// connection. make bench-callgrind counts its instructions.
func BenchmarkCatchUp_Path(b *testing.B) {
	raw, rows := workloadBinlog(4)
	g, diags := topology.Parse("path.yaml", []byte(fmt.Sprintf(pathTopology, "canal-json")))
	if g == nil {
		b.Fatalf("topology: %s", diags.String())
	}
	st, err := pipeline.NewStage(g.Pipelines[0], map[string]int{"perf_bench": 1}, codecs.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var rs recordSets
	sink := func(batch *change.Batch) {
		msgs, err := st.Run(batch, false)
		if err != nil {
			b.Fatal(err)
		}
		if err := rs.write(msgs, protocol.Lz4, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	m0 := mallocs()
	for done := 0; done < b.N; {
		if n := newDecoder(b).decode(raw, sink); n != rows {
			b.Fatalf("%d changes, want %d", n, rows)
		}
		done += rows
	}
	b.StopTimer()
	reportAllocsPerEvent(b, m0)
	if rs.records < b.N {
		b.Fatalf("%d records encoded for %d row events", rs.records, b.N)
	}
}

// recordSets encodes messages into Kafka record batches the way the
// writer's produce requests carry them, into io.Discard.
type recordSets struct {
	msgs    []kafkawriter.Message
	i       int
	rec     protocol.Record
	key     bytesOf
	value   bytesOf
	records int
}

func (r *recordSets) write(msgs []kafkawriter.Message, comp protocol.Attributes, batchBytes int) error {
	for len(msgs) > 0 {
		n, size := 0, 0
		for n < len(msgs) && (n == 0 || size+len(msgs[n].Value) <= batchBytes) {
			size += len(msgs[n].Key) + len(msgs[n].Value)
			n++
		}
		r.msgs, r.i = msgs[:n], 0
		set := protocol.RecordSet{Version: 2, Attributes: comp, Records: r}
		if _, err := set.WriteTo(io.Discard); err != nil {
			return err
		}
		r.records += n
		msgs = msgs[n:]
	}
	return nil
}

func (r *recordSets) ReadRecord() (*protocol.Record, error) {
	if r.i >= len(r.msgs) {
		return nil, io.EOF
	}
	m := &r.msgs[r.i]
	r.i++
	r.key.b, r.value.b = m.Key, m.Value
	r.rec = protocol.Record{Time: time.Unix(1700000000, 0), Key: &r.key, Value: &r.value, Headers: m.Headers}
	return &r.rec, nil
}

// bytesOf is a protocol.Bytes over a slice that kafka-go copies with
// WriteTo.
type bytesOf struct{ b []byte }

func (b *bytesOf) Len() int     { return len(b.b) }
func (b *bytesOf) Close() error { return nil }
func (b *bytesOf) Read(p []byte) (int, error) {
	if len(b.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.b)
	b.b = b.b[n:]
	return n, nil
}
func (b *bytesOf) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(b.b)
	b.b = b.b[n:]
	return int64(n), err
}
