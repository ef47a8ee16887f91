package snapshot

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/sourcedb"
)

// TestReadChunk_MillionRows plans and reads a 1M-row table (SLUICE_SNAPSHOT_ROWS
// overrides the count) with 1, 2 and 4 shards and logs the throughput. Each
// run must read every row exactly once (count and sum of ids).
func TestReadChunk_MillionRows(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	n := 1_000_000
	if v := os.Getenv("SLUICE_SNAPSHOT_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	db := newDB(t, `CREATE TABLE orders (
		id BIGINT PRIMARY KEY, customer VARCHAR(64), email VARCHAR(128), qty INT,
		amount DECIMAL(12,2), score DOUBLE, created_at DATETIME, updated_at TIMESTAMP(3) NULL,
		status TINYINT, note TEXT)`,
		"INSERT INTO orders SELECT seq, CONCAT('customer ', seq % 5000), CONCAT('user', seq, '@example.com'), seq % 17, "+
			"(seq % 100000) / 100, seq / 7, '2024-01-01' + INTERVAL seq SECOND, '2024-01-01' + INTERVAL seq SECOND, "+
			"seq % 4, IF(seq % 3 = 0, NULL, 'a short note') FROM seq_1_to_"+strconv.Itoa(n),
		"ANALYZE TABLE orders")
	t.Logf("loaded %d rows in %v", n, time.Since(start).Round(time.Millisecond))
	src := bedSource(t)
	conn := dial(t, src)
	tbl := describe(t, conn, db, "orders")

	selects := func() uint64 {
		r, err := conn.Execute("SHOW SESSION STATUS LIKE 'Com_select'")
		if err != nil {
			t.Fatal(err)
		}
		v, _ := sourcedb.FieldUint(&r.Values[0][1])
		return v
	}
	s0 := selects()
	start = time.Now()
	chunks := plan(t, conn, tbl, DefaultChunkSize)
	t.Logf("plan (integer key): %d chunks in %v with %d queries", len(chunks), time.Since(start).Round(time.Microsecond), selects()-s0)
	start = time.Now()
	walked, err := walkBounds(conn, tbl, ChunkKey(tbl), DefaultChunkSize)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("plan (keyset walk, as for string or composite keys): %d chunks in %v", len(walked)+1, time.Since(start).Round(time.Millisecond))
	if d := len(walked) + 1 - len(chunks); d < -2 || d > 2 {
		t.Errorf("walk planned %d chunks, arithmetic %d", len(walked)+1, len(chunks))
	}

	wantSum := uint64(n) * uint64(n+1) / 2
	for _, shards := range []int{1, 2, 4} {
		conns := make([]*client.Conn, shards)
		for i := range conns {
			conns[i] = dial(t, src)
		}
		var (
			rows, sum, bytes atomic.Uint64
			next             atomic.Int64
			wg               sync.WaitGroup
			errs             = make([]error, shards)
		)
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		cpu0 := cpuTime(t)
		start := time.Now()
		for s := range shards {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= len(chunks) {
						return
					}
					_, _, err := ReadChunk(context.Background(), conns[s], tbl, chunks[i], func(b *change.Batch) error {
						var s uint64
						for j := range b.Changes {
							s += uint64(b.Changes[j].After[0].(int64))
						}
						sum.Add(s)
						rows.Add(uint64(len(b.Changes)))
						bytes.Add(uint64(b.Bytes))
						return nil
					}, DefaultBatchBytes, nil)
					if err != nil {
						errs[s] = err
						return
					}
				}
			}()
		}
		wg.Wait()
		d := time.Since(start)
		cpu := cpuTime(t) - cpu0
		runtime.ReadMemStats(&ms1)
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if rows.Load() != uint64(n) || sum.Load() != wantSum {
			t.Fatalf("%d shards read %d rows (id sum %d), want %d (%d)", shards, rows.Load(), sum.Load(), n, wantSum)
		}
		t.Logf("%d shard(s): %d rows in %v = %.0f rows/s, %.1f MB/s (estimated change bytes); client CPU %.2f µs/row, %.1f allocs/row, %.0f B allocated/row",
			shards, n, d.Round(time.Millisecond), float64(n)/d.Seconds(), float64(bytes.Load())/d.Seconds()/1e6,
			float64(cpu.Microseconds())/float64(n), float64(ms1.Mallocs-ms0.Mallocs)/float64(n), float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(n))
	}
}

// cpuTime is the process's user + system CPU time.
func cpuTime(t testing.TB) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
