package binlogreader

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/sourcedb"
)

// BenchmarkStream_Decode measures decoding without a server: go-mysql parses
// pre-built raw events (as its reader goroutine does) and the Stream turns
// them into batches. One op is 10,000 transactions of 20 rows.
func BenchmarkStream_Decode(b *testing.B) {
	const txns, perTxn = 10000, 20
	l := newBinlog(&testing.T{}, mysql.MySQLFlavor)
	tt := ordersTable(70)
	var raw [][]byte
	add := func(typ replication.EventType, body []byte) {
		l.pos += uint32(replication.EventHeaderSize + len(body) + 4)
		raw = append(raw, frame(typ, l.ts, l.pos, body, true))
	}
	var imgs [][]byte
	for r := 0; r < perTxn; r++ {
		imgs = append(imgs, orderRow(uint64(r), "some name", 2, 5, jsonX))
	}
	for i := 0; i < txns; i++ {
		add(replication.QUERY_EVENT, queryBody("shop", "BEGIN"))
		add(replication.TABLE_MAP_EVENT, tableMapBody(tt))
		add(replication.WRITE_ROWS_EVENTv2, rowsBody(tt, true, false, true, imgs...))
		add(replication.XID_EVENT, u64(uint64(i)))
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		t := &testing.T{}
		lb := newBinlog(t, mysql.MySQLFlavor)
		s := testStream(t, mysql.MySQLFlavor, nil, "", 1)
		s.events <- lb.fde() // as the syncer hands it over: the stream learns the checksum
		n := 0
		for j, r := range raw {
			ev, err := lb.parser.Parse(r)
			if err != nil {
				b.Fatal(err)
			}
			s.events <- ev
			if j%256 == 255 || j == len(raw)-1 {
				for len(s.events) > 0 || s.rows != nil {
					batch, err := s.ReadBatch(context.Background(), 1<<20, 0)
					if err != nil {
						b.Fatal(err)
					}
					n += len(batch.Changes)
				}
			}
		}
		if n != txns*perTxn {
			b.Fatalf("%d changes, want %d", n, txns*perTxn)
		}
	}
	reportRows(b, txns*perTxn*b.N, cpu0)
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRows reports wall-clock rows/s and CPU time per row; the latter is
// the figure to compare on a shared machine.
func reportRows(b *testing.B, rows int, cpu0 time.Duration) {
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(rows), "cpu-ns/row")
}

// BenchmarkStream_Bed_CatchUp reads a pre-written binlog of 200,000 row
// inserts (20 transactions of 10,000 rows) from the bed's MariaDB through the
// sluice account: network, go-mysql decoding and batching, end to end.
func BenchmarkStream_Bed_CatchUp(b *testing.B) {
	if testing.Short() {
		b.Skip("needs the test bed")
	}
	const rows, perTxn = 200000, 10000
	src := bedSource(b)
	db := testbed.NewDatabase(b)
	q := "`" + db + "`.bench"
	testbed.AdminExec(b, "CREATE TABLE "+q+` (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL,
		qty INT NOT NULL, price DECIMAL(10,2) NOT NULL, created DATETIME NOT NULL, status ENUM('new','paid','sent') NOT NULL)`)
	start, gtids, err := sourcedb.CurrentPosition(context.Background(), src)
	if err != nil {
		b.Fatal(err)
	}
	for lo := 1; lo <= rows; lo += perTxn {
		testbed.AdminExec(b, fmt.Sprintf("INSERT INTO %s SELECT seq, CONCAT('customer-', seq), seq %% 100, seq / 7, "+
			"'2024-01-01 00:00:00' + INTERVAL seq SECOND, 1 + seq %% 3 FROM `%s`.seq_%d_to_%d", q, db, lo, lo+perTxn-1))
	}
	_ = gtids
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		src.ServerID++
		s := openBed(b, src, db, Resume{Pos: start, NextSeq: 1})
		n := 0
		for n < rows {
			batch, err := s.ReadBatch(context.Background(), 4<<20, 5*time.Second)
			if err != nil {
				b.Fatal(err)
			}
			if len(batch.Changes) == 0 && batch.Mark == nil {
				b.Fatalf("stalled after %d rows", n)
			}
			for j := range batch.Changes {
				if batch.Changes[j].Op == change.OpInsert {
					n++
				}
			}
		}
		s.Close()
	}
	reportRows(b, rows*b.N, cpu0)
}

// BenchmarkStream_Query measures one QUERY event through the Stream without a
// schema history: BEGIN is on the hot path (every MySQL transaction opens
// with one), a DDL is rare but fully scanned for the tables it touches.
func BenchmarkStream_Query(b *testing.B) {
	for _, bc := range []struct{ name, sql string }{
		{"BEGIN", "BEGIN"},
		{"DDL", "ALTER TABLE `orders` ADD COLUMN `note` VARCHAR(64) NULL AFTER `status`, ADD INDEX `by_note` (`note`)"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := newBinlog(&testing.T{}, mysql.MySQLFlavor)
			ev := l.query("shop", bc.sql)
			q := ev.Event.(*replication.QueryEvent)
			s := testStream(&testing.T{}, mysql.MySQLFlavor, nil, "", 1)
			batch := &change.Batch{}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.inTxn = false
				batch.Changes, batch.Bytes = batch.Changes[:0], 0
				if err := s.query(q, ev.Header, batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
