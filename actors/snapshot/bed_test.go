package snapshot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/sluicecdc/sluice/change"
	"github.com/sluicecdc/sluice/internal/testbed"
	"github.com/sluicecdc/sluice/sourcedb"
	"github.com/sluicecdc/sluice/topology"
)

// These tests run against the test bed's MariaDB: the admin account creates
// and writes tables, the sluice account (DTS privileges only) reads them.

func bedSource(t testing.TB) *topology.Source {
	t.Helper()
	return testbed.Source(t)
}

func dial(t testing.TB, src *topology.Source) *client.Conn {
	t.Helper()
	conn, err := sourcedb.Dial(context.Background(), src)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// newDB creates a throw-away database and runs statements in it as admin.
func newDB(t testing.TB, statements ...string) string {
	t.Helper()
	db := testbed.NewDatabase(t)
	testbed.AdminExec(t, append([]string{"USE " + sourcedb.QuoteIdent(db)}, statements...)...)
	return db
}

func describe(t testing.TB, conn *client.Conn, db, table string) *change.Table {
	t.Helper()
	tbl, err := sourcedb.Describe(context.Background(), conn, db, table)
	if err != nil {
		t.Fatalf("Describe %s.%s: %v", db, table, err)
	}
	return tbl
}

func plan(t testing.TB, conn *client.Conn, tbl *change.Table, size int) []Chunk {
	t.Helper()
	chunks, err := Plan(context.Background(), conn, tbl, size)
	if err != nil {
		t.Fatalf("Plan %s: %v", tbl.QualifiedName(), err)
	}
	return chunks
}

// readAll reads every chunk in turn and returns the rows and rows per chunk.
func readAll(t testing.TB, conn *client.Conn, tbl *change.Table, chunks []Chunk) (rows [][]any, perChunk []uint64) {
	t.Helper()
	for _, ch := range chunks {
		var got uint64
		start := uint32(time.Now().Unix())
		n, pos, err := ReadChunk(context.Background(), conn, tbl, ch, func(b *change.Batch) error {
			for i := range b.Changes {
				c := &b.Changes[i]
				if c.Op != change.OpSnapshot || c.Table != tbl || c.Before != nil || len(c.After) != len(tbl.Columns) || c.Size <= 0 {
					t.Fatalf("chunk %d: malformed change %+v", ch.ID, c)
				}
				// The read time (Debezium's source.ts_ms of a snapshot row); it was 0.
				if c.CommitTime < start || c.CommitTime > uint32(time.Now().Unix()) {
					t.Fatalf("chunk %d: row time %d, want the read time (from %d)", ch.ID, c.CommitTime, start)
				}
				rows = append(rows, c.After)
				got++
			}
			return nil
		}, 4096, nil)
		if err != nil {
			t.Fatalf("ReadChunk %d: %v", ch.ID, err)
		}
		if n != got {
			t.Fatalf("chunk %d: ReadChunk says %d rows, emitted %d", ch.ID, n, got)
		}
		if pos.File == "" || pos.Pos < 4 {
			t.Fatalf("chunk %d: no snapshot position (%s)", ch.ID, pos)
		}
		perChunk = append(perChunk, n)
	}
	return rows, perChunk
}

// keyOf renders a row's key (or, for a keyless table, the whole row).
func keyOf(tbl *change.Table, row []any) string {
	cols := ChunkKey(tbl)
	if cols == nil {
		cols = make([]int, len(row))
		for i := range cols {
			cols[i] = i
		}
	}
	var b strings.Builder
	for _, c := range cols {
		fmt.Fprintf(&b, "%T:%q|", row[c], fmt.Sprint(row[c]))
	}
	return b.String()
}

// sourceKeys reads the table's keys with the admin account, in one query.
func sourceKeys(t testing.TB, tbl *change.Table) []string {
	t.Helper()
	conn := testbed.AdminConn(t)
	if err := sourcedb.Prepare(conn); err != nil {
		t.Fatal(err)
	}
	var out []string
	err := conn.ExecuteSelectStreaming(mustQuery(t, tbl, Chunk{}), new(mysql.Result), func(row []mysql.FieldValue) error {
		vals := make([]any, len(row))
		for i := range row {
			vals[i], _ = convert(convOf(&tbl.Columns[i]), &row[i], nil)
		}
		out = append(out, keyOf(tbl, vals))
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func mustQuery(t testing.TB, tbl *change.Table, ch Chunk) string {
	t.Helper()
	q, err := chunkQuery(tbl, ch)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// checkCover asserts that the chunks' rows are the table's rows, each once.
func checkCover(t testing.TB, tbl *change.Table, rows [][]any) {
	t.Helper()
	got := make([]string, len(rows))
	for i, r := range rows {
		got[i] = keyOf(tbl, r)
	}
	slices.Sort(got)
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("row %s read twice", got[i])
		}
	}
	want := sourceKeys(t, tbl)
	if !slices.Equal(got, want) {
		t.Fatalf("chunks read %d rows, the table has %d (first read %.3q, first in table %.3q)", len(got), len(want), got, want)
	}
}

func TestPlan_KeyTypes(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	const rows = 300
	db := newDB(t,
		"CREATE TABLE t_int (id INT PRIMARY KEY, v VARCHAR(20))",
		"INSERT INTO t_int SELECT seq, CONCAT('v', seq) FROM seq_1_to_300",
		"CREATE TABLE t_sparse (id BIGINT PRIMARY KEY, v INT)",
		"INSERT INTO t_sparse SELECT CAST(seq AS SIGNED) * 1000003 - 150000000, seq FROM seq_1_to_300",
		"CREATE TABLE t_ubig (id BIGINT UNSIGNED PRIMARY KEY, v INT)",
		"INSERT INTO t_ubig SELECT seq, seq FROM seq_0_to_99",
		"INSERT INTO t_ubig SELECT 9223372036854775707 + seq, seq FROM seq_1_to_100",
		"INSERT INTO t_ubig SELECT 18446744073709551615 - seq, seq FROM seq_0_to_99",
		"CREATE TABLE t_dense_ubig (id BIGINT UNSIGNED PRIMARY KEY)",
		"INSERT INTO t_dense_ubig SELECT 18446744073709551615 - seq FROM seq_0_to_299",
		"CREATE TABLE t_neg (id SMALLINT PRIMARY KEY)",
		"INSERT INTO t_neg SELECT CAST(seq AS SIGNED) - 32768 FROM seq_0_to_299",
		"CREATE TABLE t_comp (a INT, b VARCHAR(16), v INT, PRIMARY KEY (a, b))",
		"INSERT INTO t_comp SELECT seq % 7, CONCAT(CHAR(65 + seq % 26), seq), seq FROM seq_1_to_300",
		"CREATE TABLE t_str (k VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PRIMARY KEY, v INT)",
		"INSERT INTO t_str SELECT CONCAT(ELT(1 + seq % 6, 'a', 'B', 'é', 'Z', '😀', ' x'), seq), seq FROM seq_1_to_300",
		"CREATE TABLE t_latin1 (k CHAR(12) CHARACTER SET latin1 PRIMARY KEY)",
		"INSERT INTO t_latin1 SELECT CONCAT(ELT(1 + seq % 3, 'caf', 'CAF', 'ça'), CHAR(200 + seq % 50), seq) FROM seq_1_to_300",
		"CREATE TABLE t_bin (k VARBINARY(16) PRIMARY KEY, v INT)",
		"INSERT INTO t_bin SELECT UNHEX(CONCAT(LPAD(HEX(seq % 256), 2, '0'), '00FF', HEX(seq))), seq FROM seq_1_to_300",
		"CREATE TABLE t_date (d DATETIME(3) PRIMARY KEY)",
		"INSERT INTO t_date SELECT '2020-01-01' + INTERVAL seq * 1001 SECOND FROM seq_1_to_300",
		"CREATE TABLE t_dec (d DECIMAL(20,4) PRIMARY KEY)",
		"INSERT INTO t_dec SELECT CAST(seq AS SIGNED) / 7 - 20 FROM seq_1_to_300",
		"CREATE TABLE t_uk (a INT NOT NULL, b INT NOT NULL, v INT, UNIQUE KEY uk (b, a))",
		"INSERT INTO t_uk SELECT seq, 300 - CAST(seq AS SIGNED), seq FROM seq_1_to_300",
		"CREATE TABLE t_nullable_uk (a INT NULL, v INT, UNIQUE KEY uk (a))",
		"INSERT INTO t_nullable_uk SELECT IF(seq % 10 = 0, NULL, seq), seq FROM seq_1_to_300",
		"CREATE TABLE t_nokey (a INT, v VARCHAR(8))",
		"INSERT INTO t_nokey SELECT seq, 'x' FROM seq_1_to_300",
		"CREATE TABLE t_empty (id INT PRIMARY KEY)",
		"CREATE TABLE t_tiny (id INT PRIMARY KEY)",
		"INSERT INTO t_tiny VALUES (5)",
		"ANALYZE TABLE t_int, t_sparse, t_ubig, t_dense_ubig, t_neg",
	)
	conn := dial(t, bedSource(t))
	for _, tc := range []struct {
		table      string
		minChunks  int
		maxChunks  int
		wantKeyLen int
	}{
		{"t_int", 9, 12, 1},
		{"t_sparse", 9, 12, 1},
		{"t_ubig", 9, 12, 1},
		{"t_dense_ubig", 9, 12, 1},
		{"t_neg", 9, 12, 1},
		{"t_comp", 9, 12, 2},
		{"t_str", 9, 12, 1},
		{"t_latin1", 9, 12, 1},
		{"t_bin", 9, 12, 1},
		{"t_date", 9, 12, 1},
		{"t_dec", 9, 12, 1},
		{"t_uk", 9, 12, 2},
		{"t_nullable_uk", 1, 1, 0},
		{"t_nokey", 1, 1, 0},
		{"t_empty", 1, 1, 1},
		{"t_tiny", 1, 1, 1},
	} {
		t.Run(tc.table, func(t *testing.T) {
			tbl := describe(t, conn, db, tc.table)
			if got := len(ChunkKey(tbl)); got != tc.wantKeyLen {
				t.Fatalf("ChunkKey has %d columns, want %d", got, tc.wantKeyLen)
			}
			chunks := plan(t, conn, tbl, 30)
			if len(chunks) < tc.minChunks || len(chunks) > tc.maxChunks {
				t.Fatalf("planned %d chunks, want %d..%d", len(chunks), tc.minChunks, tc.maxChunks)
			}
			if chunks[0].Low != nil || chunks[len(chunks)-1].High != nil {
				t.Fatal("plan does not start and end unbounded")
			}
			for i := 1; i < len(chunks); i++ {
				if string(chunks[i].Low) != string(chunks[i-1].High) || chunks[i].ID != uint32(i) {
					t.Fatalf("chunk %d does not start where chunk %d ends", i, i-1)
				}
			}
			// Bounds survive the store's round trip as opaque bytes.
			for i := range chunks {
				chunks[i].Low, chunks[i].High = slices.Clone(chunks[i].Low), slices.Clone(chunks[i].High)
			}
			rows, perChunk := readAll(t, conn, tbl, chunks)
			checkCover(t, tbl, rows)
			for i, n := range perChunk {
				if len(chunks) > 1 && (n == 0 || n > 3*30) {
					t.Errorf("chunk %d holds %d rows, want 1..90 for chunk size 30", i, n)
				}
			}
		})
	}
}

func TestReadChunk_CancelInterruptsEmit(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := newDB(t, "CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(100))",
		"INSERT INTO a SELECT seq, REPEAT('x', 100) FROM seq_1_to_20000")
	conn := dial(t, bedSource(t))
	tbl := describe(t, conn, db, "a")
	ctx, cancel := context.WithCancel(context.Background())
	batches := 0
	_, _, err := ReadChunk(ctx, conn, tbl, Chunk{}, func(*change.Batch) error {
		batches++
		if batches == 2 {
			cancel()
		}
		return nil
	}, 4096, NewLimiter(0, 1<<30))
	if err == nil || ctx.Err() == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("ReadChunk after cancel: %v", err)
	}
	if batches > 3 {
		t.Errorf("%d batches emitted after cancel", batches-2)
	}
}

func TestReadChunk_RateCap(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := newDB(t, "CREATE TABLE a (id INT PRIMARY KEY)", "INSERT INTO a SELECT seq FROM seq_1_to_3000")
	conn := dial(t, bedSource(t))
	tbl := describe(t, conn, db, "a")
	start := time.Now()
	n, _, err := ReadChunk(context.Background(), conn, tbl, Chunk{}, func(*change.Batch) error { return nil }, 2048, NewLimiter(1000, 0))
	if err != nil || n != 3000 {
		t.Fatalf("ReadChunk = %d, %v", n, err)
	}
	// 3000 rows at 1000 rows/s with a one-second burst: about two seconds.
	if d := time.Since(start); d < 1500*time.Millisecond || d > 4*time.Second {
		t.Errorf("3000 rows at 1000 rows/s took %v, want about 2s", d)
	}
}

// A system-versioned table's snapshot holds its current rows only, without
// the implicit period columns; a declared period is ordinary columns (and
// part of the primary key, which chunks by it).
func TestReadChunk_SystemVersionedTable(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: needs the test bed")
	}
	db := newDB(t,
		"CREATE TABLE implicit (id INT PRIMARY KEY, v INT) WITH SYSTEM VERSIONING",
		"CREATE TABLE declared (id INT PRIMARY KEY, v INT, s TIMESTAMP(6) GENERATED ALWAYS AS ROW START, "+
			"e TIMESTAMP(6) GENERATED ALWAYS AS ROW END, PERIOD FOR SYSTEM_TIME(s, e)) WITH SYSTEM VERSIONING",
		"INSERT INTO implicit SELECT seq, seq FROM seq_1_to_300",
		"INSERT INTO declared (id, v) SELECT seq, seq FROM seq_1_to_300",
		"UPDATE implicit SET v = v + 1000 WHERE id <= 100", "DELETE FROM implicit WHERE id > 200",
		"UPDATE declared SET v = v + 1000 WHERE id <= 100", "DELETE FROM declared WHERE id > 200",
		"ANALYZE TABLE implicit, declared")
	conn := dial(t, bedSource(t))
	for _, tc := range []struct {
		table string
		cols  int
	}{{"implicit", 2}, {"declared", 4}} {
		tbl := describe(t, conn, db, tc.table)
		rows, _ := readAll(t, conn, tbl, plan(t, conn, tbl, 50))
		if len(rows) != 200 || len(tbl.Columns) != tc.cols {
			t.Fatalf("%s: %d rows of %d columns, want the 200 current rows of %d", tc.table, len(rows), len(tbl.Columns), tc.cols)
		}
		sum := int64(0)
		for _, r := range rows {
			sum += int64(r[1].(int32))
		}
		if want := int64(200*201/2 + 100*1000); sum != want {
			t.Errorf("%s: sum of v %d, want %d (current values only)", tc.table, sum, want)
		}
	}
}
