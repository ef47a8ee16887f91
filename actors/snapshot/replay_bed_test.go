package snapshot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/sluicecdc/sluice/actors/binlog/binlogreader"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/store"
)

// TestSnapshot_ConcurrentWriter_ReplayEqualsSource proves the algorithm on
// the real server: record P0, read every chunk in its own consistent
// snapshot while a writer inserts, updates and deletes at random (also in
// chunks being read), then replay the binlog from P0 over the snapshot rows
// as upserts by key. The result must equal the table, row for row, and no
// key may be read twice, except those of a chunk interrupted by a simulated
// crash (which is read again whole after the restart).
func TestSnapshot_ConcurrentWriter_ReplayEqualsSource(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	for _, tc := range []struct {
		name, ddl, fill string
		// write returns a random statement of the writer.
		write func(r *rand.Rand) string
	}{
		{
			name: "int key",
			ddl:  "CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL, s VARCHAR(32))",
			fill: "INSERT INTO t SELECT seq * 2, seq, CONCAT('row', seq) FROM seq_1_to_4000",
			write: func(r *rand.Rand) string {
				id := r.IntN(9000)
				switch r.IntN(3) {
				case 0:
					return fmt.Sprintf("INSERT INTO t VALUES (%d, %d, 'new') ON DUPLICATE KEY UPDATE v = v + 1", id, id)
				case 1:
					return fmt.Sprintf("UPDATE t SET v = v + 1000, s = CONCAT(s, '+') WHERE id BETWEEN %d AND %d", id, id+5)
				}
				return fmt.Sprintf("DELETE FROM t WHERE id = %d", id)
			},
		},
		{
			name: "composite key",
			ddl:  "CREATE TABLE t (a INT, b VARCHAR(16), v INT NOT NULL, PRIMARY KEY (a, b))",
			fill: "INSERT INTO t SELECT seq % 50, CONCAT('k', seq), seq FROM seq_1_to_4000",
			write: func(r *rand.Rand) string {
				a, b := r.IntN(60), r.IntN(5000)
				switch r.IntN(4) {
				case 0:
					return fmt.Sprintf("INSERT INTO t VALUES (%d, 'k%d', 1) ON DUPLICATE KEY UPDATE v = v + 1", a, b)
				case 1:
					return fmt.Sprintf("UPDATE t SET v = v + 7 WHERE a = %d AND b LIKE 'k%d%%'", a, b%100)
				case 2:
					// moves rows to another key (delete + insert in the upsert view)
					return fmt.Sprintf("UPDATE IGNORE t SET a = a + 1 WHERE a = %d AND b = 'k%d'", a, b)
				}
				return fmt.Sprintf("DELETE FROM t WHERE a = %d AND b = 'k%d'", a, b)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := newDB(t, tc.ddl, tc.fill, "ANALYZE TABLE t")
			src := bedSource(t)
			conn := dial(t, src)
			tbl := describe(t, conn, db, "t")

			p0, err := sourcedb.SnapshotPoint(context.Background(), conn, src)
			if err != nil {
				t.Fatal(err)
			}

			// The writer runs until the snapshot is read.
			wconn := testbed.AdminConn(t)
			if _, err := wconn.Execute("USE " + sourcedb.QuoteIdent(db)); err != nil {
				t.Fatal(err)
			}
			var (
				stop   atomic.Bool
				writes atomic.Int64
				werr   error
				wg     sync.WaitGroup
			)
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
				for !stop.Load() {
					if _, err := wconn.Execute(tc.write(r)); err != nil {
						werr = err
						return
					}
					writes.Add(1)
				}
			}()

			chunks := plan(t, conn, tbl, 250)
			stored := make([]store.Chunk, len(chunks))
			for i, ch := range chunks {
				stored[i] = ch.Stored()
			}
			state := map[string][]any{}
			partial := map[string]bool{} // keys emitted by the interrupted read
			read := func(ctx context.Context, conn *client.Conn, ch Chunk, onBatch func()) error {
				_, _, err := ReadChunk(ctx, conn, tbl, ch, func(b *change.Batch) error {
					for _, c := range b.Changes {
						k := keyOf(tbl, c.After)
						if _, dup := state[k]; dup && !partial[k] {
							return fmt.Errorf("key %s read twice", k)
						}
						state[k] = c.After
						if onBatch != nil {
							partial[k] = true
						}
					}
					time.Sleep(2 * time.Millisecond) // let writes land between batches
					if onBatch != nil {
						onBatch()
					}
					return nil
				}, 2048, nil)
				return err
			}
			// A crash in the middle chunk: its first batch was emitted (it
			// stays in the topic), the rest is lost with the connection.
			crash := len(chunks) / 2
			for i := range chunks[:crash+1] {
				ctx, cancel := context.WithCancel(context.Background())
				var onBatch func()
				if i == crash {
					onBatch = cancel
				}
				err := read(ctx, conn, chunks[i], onBatch)
				cancel()
				if i == crash {
					if err == nil {
						t.Fatal("the interrupted chunk read to its end")
					}
					_ = conn.Close()
					break
				}
				if err != nil {
					t.Fatalf("chunk %d: %v", i, err)
				}
				stored[i].Done = true
			}
			// Restart: a new connection reads only what is not done.
			conn = dial(t, src)
			rest := Remaining(stored)
			if len(rest) != len(chunks)-crash || rest[0].ID != uint32(crash) {
				t.Fatalf("Remaining after the crash: %d chunks from %d, want %d from %d", len(rest), rest[0].ID, len(chunks)-crash, crash)
			}
			for _, ch := range rest {
				if err := read(context.Background(), conn, ch, nil); err != nil {
					t.Fatalf("chunk %d: %v", ch.ID, err)
				}
			}
			stop.Store(true)
			wg.Wait()
			if werr != nil {
				t.Fatalf("writer: %v", werr)
			}
			end := testbed.BinlogPosition(t)
			t.Logf("%d chunks, %d rows read while %d writes ran", len(chunks), len(state), writes.Load())
			if writes.Load() < 50 {
				t.Fatalf("only %d writes overlapped the snapshot; the test proves nothing", writes.Load())
			}

			// Replay the binlog from P0 as upserts by key.
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			stream, err := binlogreader.Open(ctx, binlogreader.Config{Source: src, Select: func(d, _ string) bool { return d == db }},
				binlogreader.Resume{Pos: p0.Pos})
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Close()
			replayed := 0
			for {
				b, err := stream.ReadBatch(ctx, 1<<20, 200*time.Millisecond)
				if err != nil {
					t.Fatalf("replaying after %d changes: %v", replayed, err)
				}
				for _, c := range b.Changes {
					replayed++
					switch c.Op {
					case change.OpInsert:
						state[keyOf(tbl, c.After)] = c.After
					case change.OpUpdate:
						delete(state, keyOf(tbl, c.Before))
						state[keyOf(tbl, c.After)] = c.After
					case change.OpDelete:
						delete(state, keyOf(tbl, c.Before))
					}
				}
				if b.Mark != nil && !posBefore(b.Mark.Pos, change.Position{File: end.Name, Pos: end.Pos}) {
					break
				}
			}

			final, _ := readAll(t, conn, tbl, []Chunk{{}})
			if len(final) != len(state) {
				t.Errorf("snapshot + replay holds %d rows, the table %d", len(state), len(final))
			}
			bad := 0
			for _, row := range final {
				k := keyOf(tbl, row)
				if got, ok := state[k]; !ok || !reflect.DeepEqual(got, row) {
					if bad++; bad <= 5 {
						t.Errorf("row %s: snapshot + replay has %v (present %v), the table %v", k, got, ok, row)
					}
				}
			}
			t.Logf("replayed %d binlog changes from P0 %s", replayed, p0.Pos)
		})
	}
}

// posBefore reports whether a is before b in one server's binlog (file
// names sort in binlog order).
func posBefore(a, b change.Position) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	return a.Pos < b.Pos
}
